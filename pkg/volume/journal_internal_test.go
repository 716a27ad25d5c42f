package volume

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

func TestJournalRoundTrip(t *testing.T) {
	m := newManager(nil, Options{StateDir: filepath.Join(t.TempDir(), "state")})
	a := []appplan.ContainerRef{{ID: "1", Name: "web"}, {ID: "2", Name: "db", Project: "p", Service: "db", Number: "1"}}
	if err := m.journalAdd("shop", a); err != nil {
		t.Fatal(err)
	}
	if err := m.journalAdd("blog", a[:1]); err != nil {
		t.Fatal(err)
	}
	// A second stop of the same app before recovery keeps the first list.
	if err := m.journalAdd("shop", []appplan.ContainerRef{{ID: "3", Name: "worker"}}); err != nil {
		t.Fatal(err)
	}
	got, err := m.Pending()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]appplan.ContainerRef{"shop": append(a[:2:2], appplan.ContainerRef{ID: "3", Name: "worker"}), "blog": a[:1]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pending %+v, want %+v", got, want)
	}
	for _, app := range []string{"shop", "blog", "never"} {
		if err := m.journalRemove(app); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(m.opts.StateDir)
	if len(entries) != 0 {
		t.Errorf("state dir not empty after clearing: %v", entries)
	}
}

func TestJournalCorrupt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newManager(nil, Options{StateDir: dir})
	if _, err := m.Recover(t.Context()); err == nil {
		t.Error("corrupt journal accepted")
	}
}

func TestJournalNeedsStateDir(t *testing.T) {
	m := newManager(nil, Options{})
	if err := m.journalAdd("x", nil); err != ErrNoStateDir {
		t.Errorf("err %v, want ErrNoStateDir", err)
	}
}
