package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestLsDirsAsRestic: ls with DIR arguments lists what stock restic's ls
// lists for the same arguments, in text and in --json: each DIR and what is
// directly in it, everything below it with --recursive, a file DIR alone,
// nothing for a DIR the snapshot lacks.
func TestLsDirsAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	for _, f := range []string{"a/b/c/deep", "a/b/f", "a/g", "h/i", "top"} {
		p := filepath.Join(src, f)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f), 0o644))
	}
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", src)

	for _, dirs := range [][]string{
		nil,
		{"/a"},
		{"/a/b"},
		{"/a", "/h/i"},
		{"/top"},
		{"/missing"},
		{"/a/b/../../h/"},
		{"/"},
	} {
		args := make([]string, len(dirs))
		for i, d := range dirs {
			args[i] = src + d
		}
		if slices.Equal(dirs, []string{"/"}) {
			args = []string{"/"}
		}
		for _, flags := range [][]string{nil, {"--recursive"}, {"--json"}, {"--json", "--recursive"}} {
			cmd := append(append([]string{"ls"}, flags...), append([]string{"latest"}, args...)...)
			t.Run(strings.Join(cmd, " "), func(t *testing.T) {
				want := lsPaths(t, c.mustResticRaw(bin, cmd...))
				got := lsPaths(t, c.must(cmd...))
				if !slices.Equal(got, want) {
					t.Errorf("drydock lists\n%s\nrestic lists\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
}

// TestLsLongAsRestic: ls --long prints each entry as restic 0.14 does,
// column for column (mode, uid, gid, size, local time, path).
func TestLsLongAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(src, "d"), 0o750))
	must(t, os.WriteFile(filepath.Join(src, "d", "small"), []byte("x"), 0o640))
	must(t, os.WriteFile(filepath.Join(src, "big"), make([]byte, 3<<20), 0o600))
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", src)
	body := func(out string) string { _, rest, _ := strings.Cut(out, "\n"); return rest }
	want := body(c.mustResticRaw(bin, "ls", "--long", "latest", src))
	if got := body(c.must("ls", "--long", "latest", src)); got != want {
		t.Errorf("drydock ls --long:\n%s\nrestic:\n%s", got, want)
	}
}

// lsPaths is the listed paths of ls output, text or --json, without the
// snapshot line.
func lsPaths(t *testing.T, out string) []string {
	t.Helper()
	var paths []string
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if i == 0 {
			continue // the snapshot
		}
		if !strings.HasPrefix(line, "{") {
			paths = append(paths, line)
			continue
		}
		var n struct{ Path string }
		if err := json.Unmarshal([]byte(line), &n); err != nil {
			t.Fatalf("ls --json line %q: %v", line, err)
		}
		paths = append(paths, n.Path)
	}
	return paths
}

// TestLsJSONSnapshotLine: the first line of ls --json has every field
// restic 0.14 prints there, with the same values, and message_type as
// restic 0.17 and later add.
func TestLsJSONSnapshotLine(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644))
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", "--tag", "t1", src)
	first := func(out string) map[string]json.RawMessage {
		line, _, _ := strings.Cut(out, "\n")
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("first line %q: %v", line, err)
		}
		return m
	}
	want := first(c.mustResticRaw(bin, "ls", "--json", "latest"))
	got := first(c.must("ls", "--json", "latest"))
	compareNodeJSON(t, "snapshot line", want, got, []string{"message_type", "program_version", "summary"})
	if string(got["message_type"]) != `"snapshot"` || string(got["struct_type"]) != `"snapshot"` {
		t.Errorf("message_type %s, struct_type %s: want both \"snapshot\"", got["message_type"], got["struct_type"])
	}
}

// TestLsRelativeDir: a DIR that is not absolute is refused with a message
// that says so, as restic refuses it.
func TestLsRelativeDir(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", t.TempDir())
	_, errOut, code := c.run("ls", "latest", "etc")
	if code != exitFailure || !strings.Contains(errOut, `"etc" is not an absolute path`) {
		t.Errorf("ls latest etc: exit %d, %q: want exit %d naming the relative path", code, errOut, exitFailure)
	}
}
