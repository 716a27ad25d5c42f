package orchestrate_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/repo"
)

const verifyJob = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
    init: true
    lock_wait: 10m
jobs:
  checked:
    repository: local
    schedule: "@yearly"
    paths: [DATA]
    verify:
      schedule: "* * * * * *"
      restore_test: true
notify:
  - url: HOOK
    on: [failure, warning, success]
`

// TestVerifyInterruptedByShutdown: the daemon stops while a verification
// waits for the repository's lock (another process holds one). The run is
// reported as interrupted, not failed: no failure is counted or notified,
// and /metrics labels it result="interrupted".
func TestVerifyInterruptedByShutdown(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	hook := newHookServer(t)
	td := startDaemon(t, fill(verifyJob, "STATE", state, "DATA", data, "HOOK", hook.url()), nil)
	waits := func() int { return strings.Count(td.logs.String(), `msg="repository is locked, waiting"`) }
	unlock := holdLock(t, state)
	defer func() { _ = unlock() }()
	// A verification that started before the lock was taken may end;
	// one that logs waiting for it is the one to interrupt.
	waited := waits()
	td.waitFor("a verification waiting for the lock", time.Minute, func(st orchestrate.Status) bool {
		return job(st, "checked", orchestrate.KindVerify).Running && waits() > waited
	})
	before := job(td.status(), "checked", orchestrate.KindVerify)
	if !before.Running {
		t.Fatalf("the verification did not wait for the lock: %+v", before)
	}
	td.stop()

	js := job(td.d.Status(), "checked", orchestrate.KindVerify)
	if js.Runs != before.Runs+1 || js.LastRun == nil {
		t.Fatalf("status after the shutdown: %+v (before: %+v)", js, before)
	}
	r := js.LastRun
	if r.Result != orchestrate.ResultInterrupted || r.Error != "" || !strings.Contains(r.Interrupted, "stopping") {
		t.Errorf("last run: result %q, error %q, interrupted %q: want an interrupted run without error", r.Result, r.Error, r.Interrupted)
	}
	if js.Failures != before.Failures {
		t.Errorf("failures %d, were %d: an interrupted verification counted as failed", js.Failures, before.Failures)
	}
	srv := httptest.NewServer(td.d.Handler())
	defer srv.Close()
	metrics := get(t, srv.URL+"/metrics")
	if !strings.Contains(metrics, `drydock_job_runs_total{job="checked",kind="verify",result="interrupted"} 1`) {
		t.Errorf("/metrics has no interrupted run:\n%s", grepLines(metrics, "drydock_job_runs_total"))
	}
	if strings.Contains(metrics, `result="failure"`) {
		t.Errorf("/metrics counts a failure:\n%s", grepLines(metrics, "drydock_job_runs_total"))
	}
	// Nothing to wait for: this checks that no notification comes. One is
	// sent before Run returns; a late one would arrive within this.
	time.Sleep(500 * time.Millisecond)
	for _, m := range hook.messages() {
		if m["kind"] == orchestrate.KindVerify && m["event"] != "success" {
			t.Errorf("notification for the interrupted verification: %v", m)
		}
	}
}

// holdLock takes a non-exclusive lock on the repository in state, as a
// backup on another host would: a check waits for it. It returns the
// lock's release.
func holdLock(t *testing.T, state string) (unlock func() error) {
	t.Helper()
	be, err := local.Open(t.Context(), filepath.Join(state, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	pw, err := location.ReadPassword(filepath.Join(state, "pw"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, pw.Reveal(), repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return repotest.HoldLock(t, r, false)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
