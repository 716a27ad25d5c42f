package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/resticjson"
)

// TestRestoreCraftedSnapshot: restore and verify (which the daemon runs on
// a schedule) of a snapshot that puts a setuid file and a directory
// behind symlinks of the same names, pointing outside the target: both
// exit 1 naming the duplicates, restore what is valid, and leave the
// sentinel directory outside exactly as it was.
func TestRestoreCraftedSnapshot(t *testing.T) {
	parent := t.TempDir()
	s := fixture.NewSentinel(t, filepath.Join(parent, "sentinel"))
	repoDir := filepath.Join(parent, "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	r := c.openRepo(repoDir)
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		sub := c.Tree(c.File("victim", 0o777, "pwned"), c.File("planted", 0o644, "planted"))
		return c.Tree(
			c.Symlink("d", s.Dir), c.Dir("d", 0o777, sub),
			c.Symlink("f", "../sentinel/victim"), c.File("f", os.ModeSetuid|0o777, "pwned"),
			c.File("kept", 0o644, "kept"))
	})
	if _, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: time.Now(), Tree: &root, Paths: []string{"/crafted"}, Hostname: "attacker"}); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(parent, "target")
	out, errOut, code := c.run("restore", "latest", "--target", target)
	if code != exitFailure || !strings.Contains(errOut, "error: /d: skipped: duplicate node name") ||
		!strings.Contains(errOut, "error: /f: skipped: duplicate node name") || !strings.Contains(errOut, "2 entries could not be restored") {
		t.Errorf("restore of a crafted snapshot: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(target, "kept")); err != nil || string(b) != "kept" {
		t.Errorf("valid entry: %q, %v", b, err)
	}
	scratch := filepath.Join(parent, "scratch")
	out, errOut, code = c.run("verify", "--scratch", scratch)
	if code != exitFailure || !strings.Contains(errOut, "duplicate node name") {
		t.Errorf("verify of a crafted snapshot: exit %d\n%s%s", code, out, errOut)
	}
	assertEmptyScratch(t, scratch)
	s.Check(t)
}

// TestRestoreMissingPack: with a data pack deleted, restore restores the
// rest, names every file it could not restore on stderr, and exits 1.
func TestRestoreMissingPack(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "small"), []byte("small"), 0o644))
	c := newCLI(t, repoDir)
	c.must("init")
	c.must("backup", src) // the small file's pack stays intact
	writeRandomFiles(t, src, 3, 700<<10)
	c.must("backup", src)
	must(t, os.Remove(largestFile(t, filepath.Join(repoDir, "data"))))
	target := t.TempDir()
	out, errOut, code := c.run("restore", "latest", "--target", target)
	if code != exitFailure || !strings.Contains(errOut, "could not be restored fully") {
		t.Fatalf("restore with a pack missing: exit %d\n%s%s", code, out, errOut)
	}
	entries, err := os.ReadDir(src)
	must(t, err)
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(src, e.Name()))
		got, err := os.ReadFile(filepath.Join(target, src, e.Name()))
		switch {
		case err == nil && string(got) != string(want):
			t.Errorf("%s: wrong content under its real name", e.Name())
		case err != nil && !strings.Contains(errOut, "error: "+filepath.Join(src, e.Name())+": "):
			t.Errorf("%s: not restored and not named\n%s", e.Name(), errOut)
		}
	}
	if b, err := os.ReadFile(filepath.Join(target, src, "small")); err != nil || string(b) != "small" {
		t.Errorf("small file: %q, %v", b, err)
	}
}

// TestRestoreSelection: --host, --tag and --path narrow what latest means;
// an invalid --include pattern is refused before anything is written.
func TestRestoreSelection(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	src := t.TempDir()
	c := newCLI(t, repoDir)
	c.must("init")
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("from a"), 0o644))
	c.must("backup", "--host", "a", "--tag", "x", src)
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("from b"), 0o644))
	c.must("backup", "--host", "b", src)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "from b"},
		{[]string{"--host", "a"}, "from a"},
		{[]string{"--tag", "x"}, "from a"},
		{[]string{"--path", src}, "from b"},
	} {
		target := t.TempDir()
		c.must(append([]string{"restore", "latest", "--target", target}, tc.args...)...)
		if b, err := os.ReadFile(filepath.Join(target, src, "f")); err != nil || string(b) != tc.want {
			t.Errorf("restore latest %v: %q, %v; want %q", tc.args, b, err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want int
	}{{nil, 2}, {[]string{"--host", "a"}, 1}, {[]string{"--tag", "x"}, 1}, {[]string{"--host", "c"}, 0}, {[]string{"latest"}, 1}} {
		var sns []resticjson.Snapshot
		must(t, json.Unmarshal([]byte(c.must(append([]string{"snapshots", "--json"}, tc.args...)...)), &sns))
		if len(sns) != tc.want {
			t.Errorf("snapshots %v: %d, want %d", tc.args, len(sns), tc.want)
		}
	}
	if _, errOut, code := c.run("restore", "latest", "--host", "c", "--target", t.TempDir()); code != exitFailure || !strings.Contains(errOut, "among snapshots with host c") {
		t.Errorf("restore latest of an unknown host: exit %d\n%s", code, errOut)
	}
	target := filepath.Join(t.TempDir(), "never")
	if _, errOut, code := c.run("restore", "latest", "--include", "[", "--target", target); code != exitFailure || !strings.Contains(errOut, "syntax error in pattern") {
		t.Errorf("restore --include '[': exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("refused restore created its target: %v", err)
	}
}
