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
	// Snapshots record the targets' parent directories too, /tmp among
	// them, which tests running beside this one change: a run may find a
	// change there. Within a few runs, one finds none.
	var same summary
	for range 10 {
		n := count()
		if same = backup("--skip-if-unchanged", data); same.Unchanged {
			if same.SnapshotID != "" || same.Files != 5 || count() != n || !strings.HasPrefix(same.Parent, latestID(t, c)) {
				t.Fatalf("unchanged: %+v, %d snapshots (had %d); want none written, unchanged since the latest, 5 files", same, count(), n)
			}
			break
		}
	}
	if !same.Unchanged {
		t.Fatal("ten backups of an unchanged tree each wrote a snapshot")
	}
	said := false
	for range 10 {
		latest := latestID(t, c)
		out := c.must("backup", "--skip-if-unchanged", data)
		if said = strings.Contains(out, "nothing changed since snapshot "+latest); said {
			break
		}
		if !strings.Contains(out, "snapshot ") || !strings.Contains(out, " saved") {
			t.Fatalf("text output says neither unchanged nor saved:\n%s", out)
		}
	}
	if !said {
		t.Fatal("the text output never said nothing changed")
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
	for _, st := range steps {
		n := count()
		st.change()
		s := backup(append(st.args, data)...)
		if s.SnapshotID == "" || s.Unchanged || count() != n+1 {
			t.Fatalf("after %s: %+v, %d snapshots (had %d); want a snapshot written", st.name, s, count(), n)
		}
	}
}

// latestID is the short ID of the repository's newest snapshot.
func latestID(t *testing.T, c *cli) string {
	t.Helper()
	var sns []struct {
		ShortID string `json:"short_id"`
	}
	if err := json.Unmarshal([]byte(c.must("snapshots", "--json", "latest")), &sns); err != nil || len(sns) != 1 {
		t.Fatalf("snapshots --json latest: %v, %d", err, len(sns))
	}
	return sns[0].ShortID
}
