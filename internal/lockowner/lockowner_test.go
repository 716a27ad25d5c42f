//go:build unix

package lockowner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func open(t *testing.T, state string) *Owner {
	t.Helper()
	o, err := Open(state, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// TestOwners: processes of one state directory share its installation ID
// and tell each other alive while their files are flocked; a closed owner's
// lock is not provably dead (its file is gone: restic's rule applies), one
// whose lock removal failed keeps its file and is dead once closed.
func TestOwners(t *testing.T) {
	state := t.TempDir()
	a, b := open(t, state), open(t, state)
	if a.installation != b.installation || a.self == b.self {
		t.Fatalf("installations %s, %s; processes %s, %s", a.installation, b.installation, a.self, b.self)
	}
	var doc format.Lock
	doc.Time = time.Now()
	doc.Hostname, _ = os.Hostname()
	a.Mark(&doc)
	if doc.Installation != a.installation || doc.Process != a.self {
		t.Fatalf("marked %+v", doc)
	}
	if a.Dead(doc) || b.Dead(doc) {
		t.Fatal("a live owner's lock is dead")
	}
	other := doc
	other.Hostname = "elsewhere"
	a.Left()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if !b.Dead(doc) {
		t.Error("a closed owner's kept lock is not dead")
	}
	if b.Dead(other) {
		t.Error("a lock of another host is dead")
	}
	c := open(t, t.TempDir())
	if c.Dead(doc) {
		t.Error("another installation's lock is dead")
	}
	d := open(t, state)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, OwnersDir, d.self)); !os.IsNotExist(err) {
		t.Errorf("closed owner's file: %v, want it removed", err)
	}
	if doc.Process = d.self; b.Dead(doc) {
		t.Error("a lock without its owner's file is dead")
	}
}

// TestSweep: files of dead owners go once their last lock is a week old;
// recent ones and live ones stay.
func TestSweep(t *testing.T) {
	state := t.TempDir()
	live, dead, recent := open(t, state), open(t, state), open(t, state)
	for _, o := range []*Owner{dead, recent} {
		o.Left()
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-sweepAfter - time.Hour)
	for _, o := range []*Owner{live, dead} {
		if err := os.Chtimes(filepath.Join(state, OwnersDir, o.self), old, old); err != nil {
			t.Fatal(err)
		}
	}
	open(t, state)
	for o, want := range map[*Owner]bool{live: true, dead: false, recent: true} {
		if _, err := os.Stat(filepath.Join(state, OwnersDir, o.self)); (err == nil) != want {
			t.Errorf("file of %s: %v, want kept %v", o.self, err, want)
		}
	}
}

func TestBadInstallationID(t *testing.T) {
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, InstallationFile), []byte("../x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(state, nil); err == nil {
		t.Fatal("Open with a bad installation ID: no error")
	}
}
