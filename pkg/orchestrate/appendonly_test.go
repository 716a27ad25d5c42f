package orchestrate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

const appendOnlyJobs = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  server:
    location: RESTURL
    password_file: rest-password
    init: true
jobs:
  with-retention:
    repository: server
    schedule: "*/2 * * * * *"
    paths: [DATA]
    retention: {keep_last: 1}
  plain:
    repository: server
    schedule: "*/2 * * * * *"
    paths: [DATA]
`

// TestDaemonAppendOnlyRetention: behind rclone serve restic --append-only,
// a job's retention fails each run with the refusal, after its backup was
// stored; a job without retention keeps succeeding; no lock file is left
// and restic finds the repository clean.
func TestDaemonAppendOnlyRetention(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	rest := resttest.Start(t, resttest.Options{AppendOnly: true})
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "file"), strings.Repeat("append-only content\n", 1000))
	yaml := fill(appendOnlyJobs, "STATE", state, "RESTURL", rest.Location("repo"), "DATA", data)
	td := startDaemon(t, yaml, nil)
	st := td.waitFor("2 runs of each job", 2*time.Minute, func(st orchestrate.Status) bool {
		return job(st, "with-retention", orchestrate.KindBackup).Runs >= 2 && job(st, "plain", orchestrate.KindBackup).Runs >= 2
	})
	td.stop()
	kept := job(st, "with-retention", orchestrate.KindBackup)
	if kept.Failures != kept.Runs || kept.LastRun == nil || !strings.Contains(kept.LastRun.Error, "refuses deletes") {
		t.Errorf("with-retention: %d runs, %d failures, last %+v; want every run refused", kept.Runs, kept.Failures, kept.LastRun)
	} else if len(kept.LastRun.Snapshots) == 0 || kept.LastRun.Forgotten != 0 {
		t.Errorf("with-retention: the refused run should have stored its snapshot and forgotten none: %+v", kept.LastRun)
	}
	if plain := job(st, "plain", orchestrate.KindBackup); plain.Failures != 0 {
		t.Errorf("plain: %d failures, last %+v", plain.Failures, plain.LastRun)
	}
	if locks, _ := os.ReadDir(filepath.Join(rest.Dir, "repo", "locks")); len(locks) != 0 {
		t.Errorf("%d lock files left", len(locks))
	}
	out := restic(t, resticBin, rest.Location("repo"), filepath.Join(state, "rest-password"), nil, "check")
	if !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}
