package orchestrate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/repo"
)

const slowJob = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
    init: true
    lock_wait: 1m
jobs:
  slow:
    repository: local
    schedule: "* * * * * *"
    paths: [DATA]
`

// TestJobRunsDoNotOverlap: while another process holds an exclusive lock,
// a job scheduled every second waits for it for several seconds; the
// ticks in between are skipped, never run alongside (also across a
// configuration reload), and the job succeeds once the lock is gone. It
// runs in a synctest bubble (without the HTTP endpoint, as no network
// belongs there): its seconds of waiting take none, and the ticks are
// exact.
func TestJobRunsDoNotOverlap(t *testing.T) { synctest.Test(t, jobRunsDoNotOverlap) }

func jobRunsDoNotOverlap(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	td := startDaemon(t, fill(slowJob, "STATE", state, "DATA", data, "listen: 127.0.0.1:0", "listen: off"), nil)
	td.waitFor("a first success", time.Minute, func(st orchestrate.Status) bool {
		return job(st, "slow", orchestrate.KindBackup).LastSuccess != nil
	})

	// Hold an exclusive lock, as a prune on another host would.
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
	unlock := repotest.HoldLock(t, r, true)
	before := job(td.status(), "slow", orchestrate.KindBackup).Runs
	time.Sleep(2 * time.Second)
	// A reload replaces the schedule while a run waits for the lock: the
	// new schedule must not start the job beside it.
	if err := td.d.Reload(t.Context(), td.cfg); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	st := td.status()
	if js := job(st, "slow", orchestrate.KindBackup); !js.Running || js.Runs > before+1 {
		t.Errorf("while locked: running %v, %d runs finished (had %d): want one waiting run", js.Running, js.Runs, before)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	st = td.waitFor("runs after the lock is gone", time.Minute, func(st orchestrate.Status) bool {
		return job(st, "slow", orchestrate.KindBackup).Runs >= before+2
	})
	td.stop()

	// In the log, each start of the job is followed by its end before the
	// next start.
	running := false
	for _, line := range strings.Split(td.logs.String(), "\n") {
		switch {
		case strings.Contains(line, `msg="job started" job=slow`):
			if running {
				t.Fatalf("the job started while a run was still going:\n%s", td.logs.String())
			}
			running = true
		case strings.Contains(line, `msg="job succeeded" job=slow`), strings.Contains(line, `msg="job failed" job=slow`):
			running = false
		}
	}
	if js := job(st, "slow", orchestrate.KindBackup); js.Failures > 0 {
		t.Errorf("%d failures: the run should have waited for the lock", js.Failures)
	}
}

// TestLastSuccessSeededFromSnapshots: a restarted daemon takes each job's
// last success from its newest snapshot, so that a daemon restarting (or
// crashing) before every backup does not look healthy forever.
func TestLastSuccessSeededFromSnapshots(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	yaml := fill(slowJob, "STATE", state, "DATA", data)
	td := startDaemon(t, yaml, nil)
	st := td.waitFor("a first success", time.Minute, func(st orchestrate.Status) bool {
		return job(st, "slow", orchestrate.KindBackup).LastSuccess != nil
	})
	td.stop()
	snapTime := job(st, "slow", orchestrate.KindBackup).LastRun.Start

	td2 := startDaemon(t, strings.Replace(yaml, `"* * * * * *"`, `"@yearly"`, 1), nil)
	st = td2.waitFor("the seeded last success", 30*time.Second, func(st orchestrate.Status) bool {
		return job(st, "slow", orchestrate.KindBackup).LastSuccess != nil
	})
	js := job(st, "slow", orchestrate.KindBackup)
	if js.Runs != 0 {
		t.Fatalf("the job ran (%d runs): the test wants a seeded value", js.Runs)
	}
	// The snapshot's time is when the backup started, within the run.
	if d := js.LastSuccess.Sub(snapTime); d < 0 || d > 5*time.Second {
		t.Errorf("seeded last success %v, want the snapshot's time near %v", js.LastSuccess, snapTime)
	}
}

// TestSkipIfUnchanged: a skip_if_unchanged job writes a snapshot only when
// something changed; its runs in between succeed, write none, name the
// snapshot that still holds the data, and set the last success a
// restarted daemon starts from. (The snapshots also record /tmp, which
// other tests change: the first unchanged run may come a few runs late.)
func TestSkipIfUnchanged(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	yaml := strings.Replace(fill(slowJob, "STATE", state, "DATA", data), "paths: [", "skip_if_unchanged: true\n    paths: [", 1)
	td := startDaemon(t, yaml, nil)
	snapshotExists := func(id string) bool {
		_, err := os.Stat(filepath.Join(state, "repo", "snapshots", id))
		return err == nil
	}
	unchangedRun := func(what string, not string) *orchestrate.RunResult {
		t.Helper()
		st := td.waitFor(what, time.Minute, func(st orchestrate.Status) bool {
			r := job(st, "slow", orchestrate.KindBackup).LastRun
			return r != nil && r.OK() && r.Unchanged != "" && r.Unchanged != not
		})
		r := job(st, "slow", orchestrate.KindBackup).LastRun
		if len(r.Snapshots) != 0 || !snapshotExists(r.Unchanged) {
			t.Fatalf("unchanged run %+v: wrote a snapshot, or names one that does not exist", r)
		}
		return r
	}
	first := unchangedRun("an unchanged run", "")
	changedAt := time.Now()
	writeFile(t, filepath.Join(data, "g"), "more")
	td.waitFor("a run with the change", time.Minute, func(st orchestrate.Status) bool {
		r := job(st, "slow", orchestrate.KindBackup).LastRun
		return r != nil && r.OK() && r.Start.After(changedAt) && len(r.Snapshots) == 1
	})
	last := unchangedRun("an unchanged run after the change", first.Unchanged)
	td.stop()

	td2 := startDaemon(t, strings.Replace(yaml, `"* * * * * *"`, `"@yearly"`, 1), nil)
	st := td2.waitFor("the seeded last success", 30*time.Second, func(st orchestrate.Status) bool {
		return job(st, "slow", orchestrate.KindBackup).LastSuccess != nil
	})
	// Seeded from the last unchanged run, not from the older snapshot.
	if js := job(st, "slow", orchestrate.KindBackup); js.LastSuccess.Before(last.Start) {
		t.Errorf("seeded last success %v, want the last unchanged run's time (after %v)", js.LastSuccess, last.Start)
	}
}
