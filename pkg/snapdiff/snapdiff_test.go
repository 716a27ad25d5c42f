package snapdiff_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snapdiff"
)

// before and after are the fixture's two states: a file added (with the
// content of a file in a folder that does not change), one removed, one
// changed in content, one only in mode, a folder removed with what is in
// it, one added, a file that became a folder and one that became a
// symlink.
var (
	before = map[string]string{
		"keep.txt": "same", "edit.txt": "old", "mode.txt": "mode", "gone.txt": "bye",
		"olddir/a": "a", "olddir/sub/b": "b", "wasfile": "f", "waslink": "l", "deep/x/y/z.txt": "z",
		"same/dir/f": "hi",
	}
	after = map[string]string{
		"keep.txt": "same", "edit.txt": "new content", "mode.txt": "mode", "new.txt": "hi",
		"newdir/c": "c", "wasfile/inside": "i", "deep/x/y/z.txt": "z", "deep/x/y/w.txt": "w",
		"same/dir/f": "hi",
	}
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if old, err := os.ReadFile(p); err == nil && string(old) == content {
			continue // unchanged, times too
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiffMatchesRestic: for two snapshots of a folder, the changes (in
// order) and the statistics equal what stock restic 0.14's diff --json
// reports, with and without --metadata.
func TestDiffMatchesRestic(t *testing.T) {
	restic := testenv.RequireBinary(t, "restic")
	r, dir := repotest.New(t, 2, repo.Options{})
	data := filepath.Join(t.TempDir(), "data")
	writeTree(t, data, before)
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for name := range before {
		if err := os.Chtimes(filepath.Join(data, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	a, err := backup.RunPaths(t.Context(), r, []string{data}, backup.PathOptions{Host: "h"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gone.txt", "olddir", "wasfile", "waslink"} {
		if err := os.RemoveAll(filepath.Join(data, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeTree(t, data, after)
	if err := os.Symlink("keep.txt", filepath.Join(data, "waslink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(data, "mode.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := backup.RunPaths(t.Context(), r, []string{data}, backup.PathOptions{Host: "h", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, metadata := range []bool{false, true} {
		args := []string{"-r", dir, "--no-cache", "--json", "diff", a.ID.String(), b.ID.String()}
		if metadata {
			args = append(args, "--metadata")
		}
		cmd := exec.CommandContext(t.Context(), restic, args...)
		cmd.Env = append(os.Environ(), "RESTIC_PASSWORD="+repotest.Password)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic diff: %v", err)
		}
		wantChanges, wantStats := parseRestic(t, out)

		var got []snapdiff.Change
		stats, err := snapdiff.Diff(t.Context(), r, *a.Snapshot.Tree, *b.Snapshot.Tree, snapdiff.Options{Metadata: metadata},
			func(c snapdiff.Change) error { got = append(got, c); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, wantChanges) {
			t.Errorf("metadata %v: changes\n%v\nrestic's\n%v", metadata, got, wantChanges)
		}
		if stats != wantStats {
			t.Errorf("metadata %v: stats %+v, restic's %+v", metadata, stats, wantStats)
		}
		if len(got) < 10 {
			t.Errorf("metadata %v: only %d changes: the fixture does not change what it should", metadata, len(got))
		}
	}
}

func parseRestic(t *testing.T, out []byte) ([]snapdiff.Change, snapdiff.Stats) {
	t.Helper()
	var changes []snapdiff.Change
	var stats snapdiff.Stats
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var msg struct {
			MessageType string `json:"message_type"`
			snapdiff.Change
			snapdiff.Stats
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("restic's line %q: %v", sc.Bytes(), err)
		}
		switch msg.MessageType {
		case "change":
			changes = append(changes, msg.Change)
		case "statistics":
			stats = msg.Stats
		}
	}
	return changes, stats
}
