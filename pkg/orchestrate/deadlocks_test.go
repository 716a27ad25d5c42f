package orchestrate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/lockowner"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

const yearlyJob = `state_dir: STATE
listen: "off"
repositories:
  local: {location: repo, password_file: pw, init: true}
jobs:
  yearly:
    repository: local
    schedule: "@yearly"
    paths: [DATA]
`

// TestDaemonRemovesDeadAgentsLocksAtStart: the lock of a killed drydock of
// the daemon's state directory is gone once the daemon has started, before
// any job runs, so that it blocks no other host's (or restic's) check.
func TestDaemonRemovesDeadAgentsLocksAtStart(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	yaml := strings.NewReplacer("STATE", state, "DATA", data).Replace(yearlyJob)
	startDaemon(t, yaml, nil).stop() // creates the repository

	// A drydock of this installation wrote a lock and died: its process
	// file is left, and nobody holds its flock.
	be, err := local.Open(t.Context(), filepath.Join(state, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	pw, err := location.ReadPassword(filepath.Join(state, "pw"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, pw.Reveal(), repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := lockowner.Open(state, nil)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	doc := format.Lock{Time: time.Now(), Exclusive: true, Hostname: host, Username: "root", PID: 1}
	o.Mark(&doc)
	raw, _ := format.EncodeLock(&doc)
	if _, err := r.SaveUnpacked(t.Context(), backend.LockFile, raw); err != nil {
		t.Fatal(err)
	}
	o.Left()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	td := startDaemon(t, yaml, nil)
	ids, err := r.List(t.Context(), backend.LockFile)
	if err != nil || len(ids) != 0 {
		t.Fatalf("locks once the daemon started: %v, %v; want the dead agent's removed", ids, err)
	}
	if !strings.Contains(td.logs.String(), "no longer running") {
		t.Errorf("no log line about the removed lock:\n%s", td.logs.String())
	}
}
