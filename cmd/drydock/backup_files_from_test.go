package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFilesFromLists: "-" reads stdin; a raw list must end each name with
// NUL and hold no empty name, as restic requires.
func TestFilesFromLists(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "list")
	must(t, os.WriteFile(file, []byte("/from/file\n"), 0o644))
	for _, c := range []struct {
		name  string
		f     filesFrom
		stdin string
		want  []string
		bad   string // in the error; "" for none
	}{
		{"verbatim from stdin", filesFrom{verbatim: []string{"-"}}, " /a \n\n/b\r\n", []string{" /a ", "/b"}, ""},
		{"raw from stdin", filesFrom{raw: []string{"-"}}, "/a\n1\x00/b\x00", []string{"/a\n1", "/b"}, ""},
		{"raw and a file", filesFrom{raw: []string{"-"}, verbatim: []string{file}}, "/a\x00", []string{"/from/file", "/a"}, ""},
		{"raw without the last NUL", filesFrom{raw: []string{"-"}}, "/a\x00/b", nil, "no terminating NUL"},
		{"raw with an empty name", filesFrom{raw: []string{"-"}}, "/a\x00\x00", nil, "empty name"},
		{"bad glob", filesFrom{patterns: []string{"-"}}, "/a[\n", nil, "pattern"},
		{"missing list", filesFrom{patterns: []string{filepath.Join(dir, "missing")}}, "", nil, "--files-from"},
	} {
		got, err := c.f.targets(strings.NewReader(c.stdin), io.Discard)
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("%s: %q, %v; want an error with %q", c.name, got, err, c.bad)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestFilesFromNamingNothing: lists that name no target fail the backup
// before the repository is touched, as restic's "nothing to backup" does.
func TestFilesFromNamingNothing(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	must(t, os.WriteFile(empty, []byte("# nothing\n\n"), 0o644))
	c := newCLI(t, filepath.Join(dir, "repo"))
	c.must("init")
	if _, errOut, code := c.run("backup", "--files-from", empty); code != 1 || !strings.Contains(errOut, "nothing to back up") {
		t.Errorf("backup of an empty list: exit %d, %q; want 1, nothing to back up", code, errOut)
	}
	if _, _, code := c.run("backup"); code != 1 {
		t.Errorf("backup without targets or lists: exit %d, want 1", code)
	}
}
