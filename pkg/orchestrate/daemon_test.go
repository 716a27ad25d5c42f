package orchestrate_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// hookServer records the JSON bodies notifications post to it.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []map[string]string
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("notification is not a JSON object: %v: %s", err, b)
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// url is the shoutrrr generic webhook URL of the server.
func (h *hookServer) url() string {
	return "generic://" + strings.TrimPrefix(h.URL, "http://") + "/hook?template=json&disabletls=yes"
}

func (h *hookServer) messages() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]string(nil), h.msgs...)
}

const twoRepos = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: local-password
    init: true
  minio:
    location: S3URL
    password_file: s3-password
    init: true
    s3:
      access_key_id: KEYID
      secret_access_key_file: SECRETFILE
jobs:
  local-job:
    repository: local
    schedule: "*/2 * * * * *"
    paths: [DATA1]
    tags: [nightly]
    retention:
      keep_last: 2
    verify:
      schedule: "*/3 * * * * *"
      read_data_subset: 100%
      restore_test: true
  s3-job:
    repository: minio
    schedule: "*/2 * * * * *"
    paths: [DATA2]
    retention:
      keep_last: 2
      max_unused: 0%
    verify:
      schedule: "*/3 * * * * *"
      read_data_subset: 50%
      restore_test: true
notify:
  - url: HOOK
    on: [success, failure]
`

// TestDaemonRunsJobsOnItsOwn: on a schedule of seconds, the daemon backs
// up into a local and a MinIO repository, forgets and prunes down to the
// policy, verifies, and says so in /metrics, /healthz, /status and
// notifications; afterwards stock restic finds both repositories clean.
func TestDaemonRunsJobsOnItsOwn(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	state, data := t.TempDir(), t.TempDir()
	secret := filepath.Join(state, "secret")
	writeFile(t, secret, srv.SecretKey+"\n")
	for _, d := range []string{"one", "two"} {
		writeFile(t, filepath.Join(data, d, "fixed"), strings.Repeat("stable content\n", 1000))
	}
	hook := newHookServer(t)
	yaml := fill(twoRepos, "STATE", state, "S3URL", "s3:"+srv.URL()+"/"+bucket+"/drydock", "KEYID", srv.AccessKey,
		"SECRETFILE", secret, "DATA1", filepath.Join(data, "one"), "DATA2", filepath.Join(data, "two"), "HOOK", hook.url())

	// New data every second, so that every backup adds packs and forget
	// leaves prune something to delete.
	stopWriting := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; ; i++ {
			select {
			case <-stopWriting:
				return
			case <-time.After(time.Second):
			}
			for _, d := range []string{"one", "two"} {
				_ = os.WriteFile(filepath.Join(data, d, fmt.Sprintf("f%03d", i)), []byte(strings.Repeat(fmt.Sprintf("%s %d\n", d, i), 5000)), 0o600)
			}
		}
	}()
	td := startDaemon(t, yaml, nil)
	st := td.waitFor("4 backups and a verification of each job", 3*time.Minute, func(st orchestrate.Status) bool {
		for _, j := range []string{"local-job", "s3-job"} {
			b, v := job(st, j, orchestrate.KindBackup), job(st, j, orchestrate.KindVerify)
			// A verification that test-restored a snapshot (not one that
			// ran before the first backup).
			if b.Runs-b.Failures < 4 || v.LastRun == nil || !v.LastRun.OK() || v.LastRun.Restored == 0 || !v.LastRun.Checked {
				return false
			}
		}
		return true
	})
	close(stopWriting)
	<-writerDone
	for _, js := range st.Jobs {
		if js.Failures > 0 || !js.Healthy {
			t.Errorf("job %s (%s): %d failures, healthy %v, last %+v", js.Job, js.Kind, js.Failures, js.Healthy, js.LastRun)
		}
		if js.NextRun == nil {
			t.Errorf("job %s (%s) has no next run", js.Job, js.Kind)
		}
	}
	if code, body := td.get("/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	_, metrics := td.get("/metrics")
	for _, want := range []string{
		`drydock_job_last_success_timestamp_seconds{job="local-job",kind="backup"}`,
		`drydock_job_last_success_timestamp_seconds{job="s3-job",kind="verify"}`,
		`drydock_job_runs_total{job="s3-job",kind="backup",result="success"}`,
		`drydock_job_last_bytes_read{job="local-job"}`,
		`drydock_job_last_bytes_added{job="s3-job"}`,
		`drydock_job_healthy{job="local-job",kind="backup"} 1`,
		`drydock_repository_size_bytes{repository="minio"}`,
		`drydock_repository_snapshots{repository="local"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, j := range []string{"local-job", "s3-job"} {
		if !strings.Contains(td.logs.String(), "msg=pruned job="+j) {
			t.Errorf("job %s never pruned", j)
		}
	}
	td.stop()

	successes := map[string]int{}
	for _, m := range hook.messages() {
		if m["event"] == "success" && m["kind"] == "backup" {
			successes[m["job"]]++
		}
	}
	if successes["local-job"] < 4 || successes["s3-job"] < 4 {
		t.Errorf("success notifications per job: %v", successes)
	}

	s3env := []string{"AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + srv.SecretKey}
	repos := []struct{ job, repo, pw string }{
		{"local-job", filepath.Join(state, "repo"), filepath.Join(state, "local-password")},
		{"s3-job", "s3:" + srv.URL() + "/" + bucket + "/drydock", filepath.Join(state, "s3-password")},
	}
	for _, r := range repos {
		out := restic(t, resticBin, r.repo, r.pw, s3env, "check", "--read-data")
		if !strings.Contains(out, "no errors were found") {
			t.Errorf("restic check %s:\n%s", r.repo, out)
		}
		var sns []struct {
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal([]byte(restic(t, resticBin, r.repo, r.pw, s3env, "snapshots", "--json")), &sns); err != nil {
			t.Fatal(err)
		}
		// keep_last 2 after every backup; a backup cut short by the stop
		// may have written its snapshot before its forget.
		if len(sns) < 2 || len(sns) > 3 {
			t.Errorf("%s: %d snapshots, want 2 (or 3 if stopped between backup and forget)", r.job, len(sns))
		}
		for _, sn := range sns {
			if !contains(sn.Tags, "drydock-job="+r.job) {
				t.Errorf("%s: snapshot tags %v lack the job tag", r.job, sn.Tags)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
