package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupSkipIfUnchanged: --skip-if-unchanged writes no snapshot when
// nothing changed since the parent, and says which snapshot still holds
// the data; a change of content or of a directory's metadata, or a run
// without the flag, writes one.
func TestBackupSkipIfUnchanged(t *testing.T) {
	dir := t.TempDir()
	repoDir, data := filepath.Join(dir, "repo"), filepath.Join(dir, "data")
	must(t, os.MkdirAll(filepath.Join(data, "sub"), 0o700))
	writeRandomFiles(t, filepath.Join(data, "sub"), 5, 10_000)
	c := newCLI(t, repoDir)
	c.must("init")
	count := func() int {
		entries, err := os.ReadDir(filepath.Join(repoDir, "snapshots"))
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	type summary struct {
		SnapshotID string `json:"snapshot_id"`
		Unchanged  bool   `json:"unchanged"`
		Parent     string `json:"parent"`
		Files      int    `json:"total_files_processed"`
	}
	backup := func(args ...string) summary {
		t.Helper()
		var s summary
		out := c.must(append([]string{"backup", "--json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("summary %q: %v", out, err)
		}
		return s
	}

	first := backup("--skip-if-unchanged", data)
	if first.SnapshotID == "" || first.Unchanged || count() != 1 {
		t.Fatalf("first backup: %+v, %d snapshots; want one written", first, count())
	}
	same := backup("--skip-if-unchanged", data)
	if same.SnapshotID != "" || !same.Unchanged || same.Parent != first.SnapshotID || same.Files != 5 || count() != 1 {
		t.Fatalf("unchanged: %+v, %d snapshots; want none written, unchanged since %s, 5 files", same, count(), first.SnapshotID)
	}
	if out := c.must("backup", "--skip-if-unchanged", data); !strings.Contains(out, "nothing changed since snapshot "+first.SnapshotID[:8]) {
		t.Fatalf("text output does not say so:\n%s", out)
	}

	steps := []struct {
		name   string
		change func()
		args   []string
	}{
		{"content", func() { writeRandomFiles(t, filepath.Join(data, "sub"), 1, 100) }, []string{"--skip-if-unchanged"}},
		{"directory mode", func() { must(t, os.Chmod(filepath.Join(data, "sub"), 0o750)) }, []string{"--skip-if-unchanged"}},
		{"no flag", func() {}, nil},
	}
	for i, st := range steps {
		st.change()
		s := backup(append(st.args, data)...)
		if s.SnapshotID == "" || s.Unchanged || count() != 2+i {
			t.Fatalf("after %s: %+v, %d snapshots; want a snapshot written", st.name, s, count())
		}
	}
}
