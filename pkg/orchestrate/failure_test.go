package orchestrate_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

const failingJob = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
    init: true
jobs:
  doomed:
    repository: local
    schedule: "* * * * * *"
    paths: [MISSING]
notify:
  - url: HOOK
`

// TestFailingJobNotifiesAndTurnsUnhealthy: a job that cannot succeed
// sends a failure notification with the job, the error and the time to a
// webhook on 127.0.0.1, and /healthz turns 503 once it has not succeeded
// for twice its interval.
func TestFailingJobNotifiesAndTurnsUnhealthy(t *testing.T) {
	state := t.TempDir()
	missing := filepath.Join(state, "no-such-dir")
	hook := newHookServer(t)
	td := startDaemon(t, fill(failingJob, "STATE", state, "MISSING", missing, "HOOK", hook.url()), nil)
	start := time.Now()
	td.waitFor("two failed runs", time.Minute, func(st orchestrate.Status) bool {
		return job(st, "doomed", orchestrate.KindBackup).Failures >= 2
	})
	var msgs []map[string]string
	if !testenv.Eventually(30*time.Second, 100*time.Millisecond, func() bool { msgs = hook.messages(); return len(msgs) > 0 }) {
		t.Fatal("no notification arrived")
	}
	m := msgs[0]
	if m["job"] != "doomed" || m["event"] != "failure" || m["kind"] != "backup" {
		t.Errorf("notification fields: %v", m)
	}
	if !strings.Contains(m["error"], "no-such-dir") || !strings.Contains(m["message"], "no-such-dir") {
		t.Errorf("notification does not name the problem: %v", m)
	}
	if ts, err := time.Parse(time.RFC3339, m["time"]); err != nil || ts.Before(start.Add(-time.Second)) || ts.After(time.Now()) {
		t.Errorf("notification time %q: %v", m["time"], err)
	}
	if !strings.Contains(m["title"], "doomed") || !strings.Contains(m["title"], "FAILED") {
		t.Errorf("notification title %q", m["title"])
	}

	// Interval 1 s: unhealthy once 2 s pass without a success, so by
	// 2.5 s. (TestUnhealthyAtTwiceTheInterval pins the moment in a bubble.)
	var code int
	var body string
	testenv.Eventually(time.Until(start.Add(2500*time.Millisecond)), 100*time.Millisecond, func() bool {
		code, body = td.get("/healthz")
		return code == 503
	})
	if code != 503 || !strings.Contains(body, "job doomed (backup)") {
		t.Errorf("/healthz: %d %q, want 503 naming the job", code, body)
	}
	if _, metrics := td.get("/metrics"); !strings.Contains(metrics, `drydock_job_healthy{job="doomed",kind="backup"} 0`) {
		t.Error("/metrics does not show the job unhealthy")
	}
	st := td.status()
	if js := job(st, "doomed", orchestrate.KindBackup); js.Healthy || js.LastRun == nil || !strings.Contains(js.LastRun.Error, "no-such-dir") {
		t.Errorf("status: %+v", js)
	}
}

// TestStartFailsFast: what would make every run fail stops the daemon at
// start with a message naming the repository and the problem.
func TestStartFailsFast(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), "right\n")
	writeFile(t, filepath.Join(dir, "wrong"), "wrong\n")
	cfg, err := config.Parse([]byte(fill(`state_dir: STATE
repositories:
  r:
    location: repo
    password_file: pw
    init: true
jobs:
  j:
    repository: r
    schedule: "@daily"
    paths: [/etc]
`, "STATE", dir)), "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := orchestrate.Preflight(context.Background(), cfg, os.Getenv, slog.New(slog.DiscardHandler), true); err != nil {
		t.Fatalf("creating the repository: %v", err)
	}
	cases := []struct {
		name, repo, location, pw string
		init                     bool
		want                     []string
		is                       error
	}{
		{"wrong password", "r", filepath.Join(dir, "repo"), "wrong", false, []string{"repository r"}, repo.ErrWrongPassword},
		{"missing repository", "r", filepath.Join(dir, "nothing"), "pw", false, []string{"repository r", "nothing"}, repo.ErrNoRepository},
		{"unreachable S3", "r", "s3:http://" + miniotest.ClosedAddr(t) + "/bucket", "pw", false, []string{"repository r", "127.0.0.1"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := *cfg
			rc := *cfg.Repositories["r"]
			rc.Location, rc.PasswordFile, rc.Init, rc.RetryMax = secret.NewURL(tc.location), filepath.Join(dir, tc.pw), tc.init, config.Duration(time.Second)
			c.Repositories = map[string]*config.Repository{"r": &rc}
			d, err := orchestrate.New(&c, orchestrate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			err = d.Run(ctx, &c)
			if err == nil {
				t.Fatal("daemon started")
			}
			if time.Since(start) > 30*time.Second {
				t.Errorf("took %v to fail", time.Since(start))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}
