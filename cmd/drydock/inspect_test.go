package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/resticjson"
)

// inspectRepo backs up the fixture, changes it (content, a removed file,
// a new directory, a directory turned into a file, modes) and backs it up
// again: two snapshots for find, stats, diff and dump to look at.
func inspectRepo(t *testing.T) (c *cli, src string, ids [2]string) {
	t.Helper()
	repoDir := filepath.Join(t.TempDir(), "repo")
	src = t.TempDir()
	fixture.Build(t, src)
	c = newCLI(t, repoDir)
	c.must("init")
	c.must("backup", src)
	must(t, os.WriteFile(filepath.Join(src, "data/small.txt"), []byte("changed\n"), 0o644))
	must(t, os.Remove(filepath.Join(src, "data/private")))
	must(t, os.MkdirAll(filepath.Join(src, "new/deeper"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "new/deeper/file.txt"), []byte("new\n"), 0o600))
	must(t, os.RemoveAll(filepath.Join(src, "deep/a/b/c/empty")))
	must(t, os.WriteFile(filepath.Join(src, "deep/a/b/c/empty"), []byte("now a file\n"), 0o644))
	must(t, os.Chmod(filepath.Join(src, "data/text-3MiB"), 0o600))
	c.must("backup", src)
	var sns []resticjson.Snapshot
	must(t, json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns))
	if len(sns) != 2 {
		t.Fatalf("%d snapshots", len(sns))
	}
	return c, src, [2]string{sns[0].ShortID, sns[1].ShortID}
}

// TestInspectLikeRestic: find, stats and diff give stock restic's answers
// (JSON compared) on the same repository.
func TestInspectLikeRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	c, _, ids := inspectRepo(t)
	for _, args := range [][]string{
		{"find", "*.txt", "hard?"},
		{"find", "--snapshot", ids[0], "leaf", "empty"},
		{"find", "-i", "*MIB"},
		{"stats"},
		{"stats", ids[1]},
		{"stats", "--mode", "files-by-contents"},
		{"stats", "--mode", "raw-data"},
		{"diff", ids[0], ids[1]},
		{"diff", "--metadata", ids[0], ids[1]},
		{"diff", ids[1], ids[0]},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want := normalizeJSON(t, c.mustRestic(bin, append([]string{"--json"}, args...)...), args[0])
			got := normalizeJSON(t, c.must(append([]string{"--json"}, args...)...), args[0])
			if !slices.Equal(got, want) {
				t.Errorf("drydock %s:\n%s\nrestic:\n%s", strings.Join(args, " "), strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// normalizeJSON turns a command's JSON output into comparable lines: the
// matched paths of find, the statistics of stats without fields restic
// 0.14 lacks, each diff line as it is.
func normalizeJSON(t *testing.T, out, cmd string) []string {
	t.Helper()
	var lines []string
	switch cmd {
	case "find":
		var res []struct {
			Matches []struct{ Path, Type string } `json:"matches"`
			Hits    int                           `json:"hits"`
			Snap    string                        `json:"snapshot"`
		}
		must(t, json.Unmarshal([]byte(out), &res))
		for _, r := range res {
			for _, m := range r.Matches {
				lines = append(lines, r.Snap+" "+m.Type+" "+m.Path)
			}
		}
	case "stats":
		var st map[string]any
		must(t, json.Unmarshal([]byte(out), &st))
		delete(st, "total_uncompressed_size")
		delete(st, "compression_ratio")
		b, _ := json.Marshal(st)
		lines = []string{string(b)}
	default:
		for line := range strings.Lines(out) {
			var v map[string]any
			must(t, json.Unmarshal([]byte(line), &v))
			b, _ := json.Marshal(v)
			lines = append(lines, string(b))
		}
	}
	slices.Sort(lines)
	return lines
}

// TestDump: a file comes out byte for byte, and a directory as a tar
// archive that tar extracts to the original tree; the same file as stock
// restic's dump.
func TestDump(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	c, src, _ := inspectRepo(t)
	for _, rel := range []string{"data/random-20MiB", "data/zero", "new/deeper/file.txt"} {
		want, err := os.ReadFile(filepath.Join(src, rel))
		must(t, err)
		got := c.must("dump", "latest", filepath.Join(src, rel))
		if got != string(want) {
			t.Errorf("dump %s: %d bytes, want %d", rel, len(got), len(want))
		}
		if restic := c.mustRestic(bin, "dump", "latest", filepath.Join(src, rel)); restic != got {
			t.Errorf("dump %s differs from restic's", rel)
		}
	}
	archive := c.must("dump", "latest", filepath.Join(src, "links"))
	out := t.TempDir()
	tar := exec.Command("tar", "-xpf", "-", "-C", out)
	tar.Stdin = strings.NewReader(archive)
	if b, err := tar.CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, b)
	}
	for _, rel := range []string{"links/hard1", "links/pair1", "links/pair2"} {
		want, _ := os.ReadFile(filepath.Join(src, rel))
		got, err := os.ReadFile(filepath.Join(out, src, rel)) // paths as in the snapshot, as restic's
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s from the tar archive: %d bytes, %v", rel, len(got), err)
		}
	}
	if target, err := os.Readlink(filepath.Join(out, src, "links/relative")); err != nil || target != "../data/small.txt" {
		t.Errorf("symlink from the tar archive: %q, %v", target, err)
	}
	if fi, err := os.Stat(filepath.Join(out, src, "links/pair1")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode from the tar archive: %v, %v", fi, err)
	}
	// --target never overwrites, and a failed dump leaves no file.
	target := filepath.Join(t.TempDir(), "out")
	c.must("dump", "--target", target, "latest", filepath.Join(src, "data/small.txt"))
	if _, _, code := c.run("dump", "--target", target, "latest", filepath.Join(src, "data/small.txt")); code != exitFailure {
		t.Errorf("dump over an existing file: exit %d", code)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, errOut, code := c.run("dump", "--target", missing, "latest", "/no/such/file"); code != exitFailure || !strings.Contains(errOut, "not in the snapshot") {
		t.Errorf("dump of a missing path: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("failed dump left %s: %v", missing, err)
	}
}
