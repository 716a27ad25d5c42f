package orchestrate_test

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// The tests here run a daemon in a synctest bubble: its scheduler
// (gocron), timers and clock are the bubble's, so schedules, health and
// jitter are checked to the nanosecond without waiting for them. A
// daemon in a bubble does not listen (no network belongs there): its
// handler is called in-process.

const bubbleJob = `state_dir: STATE
listen: off
repositories:
  local:
    location: repo
    password_file: pw
    init: true
jobs:
  j:
    repository: local
    schedule: SCHEDULE
    paths: [DATA]
`

// serve asks the daemon's HTTP handler for path, in-process.
func (td *testDaemon) serve(path string) (int, string) {
	rec := httptest.NewRecorder()
	td.d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

// TestUnhealthyAtTwiceTheInterval: a job scheduled every second that never
// succeeds is healthy until two seconds after the daemon started, and
// unhealthy in /status, /healthz and /metrics the moment after.
func TestUnhealthyAtTwiceTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := t.TempDir()
		td := startDaemon(t, fill(bubbleJob, "STATE", state, "SCHEDULE", `"* * * * * *"`, "DATA", filepath.Join(state, "missing")), nil)
		started := td.status().Started
		time.Sleep(time.Until(started.Add(2 * time.Second)))
		js := job(td.status(), "j", orchestrate.KindBackup)
		if !js.Healthy || js.Failures == 0 {
			t.Fatalf("at twice the interval: healthy %v after %d failures, want healthy after at least one", js.Healthy, js.Failures)
		}
		if code, body := td.serve("/healthz"); code != 200 {
			t.Fatalf("/healthz at twice the interval: %d %q", code, body)
		}
		time.Sleep(time.Millisecond)
		if js := job(td.status(), "j", orchestrate.KindBackup); js.Healthy {
			t.Errorf("past twice the interval: healthy after %d failures", js.Failures)
		}
		if code, body := td.serve("/healthz"); code != 503 || !strings.Contains(body, "job j (backup)") {
			t.Errorf("/healthz past twice the interval: %d %q, want 503 naming the job", code, body)
		}
		if _, metrics := td.serve("/metrics"); !strings.Contains(metrics, `drydock_job_healthy{job="j",kind="backup"} 0`) {
			t.Error("/metrics does not show the job unhealthy")
		}
	})
}

// TestJitterDelaysRuns: a job with jitter: 5s scheduled every 10 seconds
// starts each run up to 5 s after its tick, at a different delay each
// time, never on the tick or past the jitter.
func TestJitterDelaysRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state, data := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(data, "f"), "content")
		yaml := strings.Replace(fill(bubbleJob, "STATE", state, "SCHEDULE", `"*/10 * * * * *"`, "DATA", data), "paths:", "jitter: 5s\n    paths:", 1)
		td := startDaemon(t, yaml, nil)
		delays := map[time.Duration]bool{}
		for n := 1; n <= 4; n++ {
			st := td.waitFor("a run", time.Minute, func(st orchestrate.Status) bool {
				js := job(st, "j", orchestrate.KindBackup)
				return js.Runs == n
			})
			r := job(st, "j", orchestrate.KindBackup).LastRun
			if !r.OK() {
				t.Fatalf("run %d failed: %s", n, r.Error)
			}
			delay := r.Start.Sub(r.Start.Truncate(10 * time.Second))
			if delay <= 0 || delay >= 5*time.Second {
				t.Errorf("run %d started %v after its tick, want within the 5 s jitter", n, delay)
			}
			delays[delay] = true
		}
		if len(delays) < 2 {
			t.Errorf("every run was delayed by the same %v", delays)
		}
	})
}
