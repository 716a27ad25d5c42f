package orchestrate

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNoteUnchanged: each job's time is kept beside the others', and an
// unreadable file (a crash left it empty) is replaced, not left to fail
// every later run.
func TestNoteUnchanged(t *testing.T) {
	dir := t.TempDir()
	d := &Daemon{log: slog.New(slog.DiscardHandler)}
	if err := os.WriteFile(filepath.Join(dir, unchangedFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t1, t2 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	d.noteUnchanged(dir, "a", t1)
	d.noteUnchanged(dir, "b", t1)
	d.noteUnchanged(dir, "a", t2)
	got, err := readUnchanged(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["a"].Equal(t2) || !got["b"].Equal(t1) {
		t.Fatalf("recorded %v, want a at %v and b at %v", got, t2, t1)
	}
}
