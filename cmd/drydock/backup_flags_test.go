package main

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// writeTree writes files (relative path -> content) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(data), 0o644))
	}
}

// backupSnapshotID runs a backup with --json and returns the id of the
// snapshot it wrote, from the last line of its output (restic prints
// status lines before the summary).
func backupSnapshotID(t *testing.T, out string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s struct {
		SnapshotID string `json:"snapshot_id"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil || s.SnapshotID == "" {
		t.Fatalf("backup summary %q: %v", lines[len(lines)-1], err)
	}
	return s.SnapshotID
}

// snapshotExcludes returns the excludes a snapshot records.
func snapshotExcludes(t *testing.T, c *cli, bin, id string) []string {
	t.Helper()
	var sn struct {
		Excludes []string `json:"excludes"`
	}
	if err := json.Unmarshal([]byte(c.mustResticRaw(bin, "cat", "snapshot", id)), &sn); err != nil {
		t.Fatal(err)
	}
	return sn.Excludes
}

// drydockPaths lists a snapshot's paths below dir as drydock's ls --json
// prints them, path -> node type.
func drydockPaths(t *testing.T, c *cli, snapshot, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(c.must("ls", "--json", "--recursive", snapshot, dir)))
	for sc.Scan() {
		var n struct {
			Path       string `json:"path"`
			Type       string `json:"type"`
			StructType string `json:"struct_type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &n); err == nil && n.StructType == "node" {
			got[n.Path] = n.Type
		}
	}
	return got
}

// sameBackupAsRestic backs up dir with drydock and with restic 0.14, each
// flag set given to both, into one repository, and fails where the
// snapshots' listings (each by its own program's ls --json) or recorded
// excludes differ. wantLeftOut are paths below dir every flag set's
// snapshot must lack, so that a flag both programs ignore cannot pass.
func sameBackupAsRestic(t *testing.T, dir string, cases []backupFlagCase) {
	t.Helper()
	bin := testenv.RequireBinary(t, "restic")
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	defer func() { c.t = t }()
	for _, fc := range cases {
		t.Run(strings.Join(fc.flags, " "), func(t *testing.T) {
			c.t = t
			args := append([]string{"backup", "--json"}, fc.flags...)
			if !fc.flagsNameTargets {
				args = append(args, dir)
			}
			ours := backupSnapshotID(t, c.must(args...))
			theirs := backupSnapshotID(t, c.mustResticRaw(bin, args...))
			got, want := drydockPaths(t, c, ours, dir), resticPaths(t, c, bin, theirs, dir)
			if !maps.Equal(got, want) {
				t.Errorf("drydock saved %v\nrestic saved  %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
			for _, p := range fc.leftOut {
				if _, ok := want[filepath.Join(dir, p)]; ok {
					t.Errorf("restic kept %s: the case tests nothing", p)
				}
			}
			if g, w := snapshotExcludes(t, c, bin, ours), snapshotExcludes(t, c, bin, theirs); !slices.Equal(g, w) {
				t.Errorf("drydock recorded excludes %q, restic %q", g, w)
			}
		})
	}
}

// backupFlagCase is one flag set of sameBackupAsRestic and paths below
// the tree it must leave out.
type backupFlagCase struct {
	flags   []string
	leftOut []string
	// flagsNameTargets: the tree is not given as an argument.
	flagsNameTargets bool
}

// TestBackupExcludeFlagsAsRestic: each --exclude* flag of restic's backup
// leaves out what restic 0.14's does.
func TestBackupExcludeFlagsAsRestic(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	writeTree(t, dir, map[string]string{
		"a.txt":              "small",
		"B.TMP":              "upper case",
		"b.tmp":              "lower case",
		"notes.log":          "log",
		"big.bin":            strings.Repeat("x", 2048),
		"sub/big.bin":        strings.Repeat("y", 1025),
		"sub/k.bin":          strings.Repeat("z", 1024),
		"cache/CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n",
		"cache/data":         "cached",
		"cache/deep/more":    "cached too",
		"fake/CACHEDIR.TAG":  "Signature: not the one\n",
		"fake/data":          "kept: wrong signature",
		"skip/.nobackup":     "",
		"skip/data":          "left out",
		"hdr/.nobackup":      "KEEP-OUT here",
		"hdr/data":           "left out with header",
		"hdr2/.nobackup":     "other",
		"hdr2/data":          "kept: header differs",
		"Mixed/Case/file":    "path pattern",
	})
	t.Setenv("DRYDOCK_TEST_EXCLUDED", "notes.log")
	excludes := filepath.Join(base, "excludes")
	must(t, os.WriteFile(excludes, []byte("# comment\n*.tmp\n\n  $DRYDOCK_TEST_EXCLUDED  \n#big.bin\n"), 0o644))
	iexcludes := filepath.Join(base, "iexcludes")
	must(t, os.WriteFile(iexcludes, []byte("*.TMP\n"+filepath.Join(dir, "mixed")+"\n"), 0o644))
	sameBackupAsRestic(t, dir, []backupFlagCase{
		{[]string{"--exclude-file", excludes}, []string{"b.tmp", "notes.log"}, false},
		{[]string{"--exclude-file", excludes, "--exclude", "a.txt"}, []string{"a.txt", "b.tmp"}, false},
		{[]string{"--iexclude", "*.tmp"}, []string{"b.tmp", "B.TMP"}, false},
		{[]string{"--iexclude-file", iexcludes}, []string{"b.tmp", "B.TMP", "Mixed"}, false},
		{[]string{"--exclude-caches"}, []string{"cache/data", "cache/deep"}, false},
		{[]string{"--exclude-if-present", ".nobackup"}, []string{"skip/data", "hdr/data", "hdr2/data"}, false},
		{[]string{"--exclude-if-present", ".nobackup:KEEP-OUT", "--exclude-caches"}, []string{"hdr/data", "cache/data"}, false},
		{[]string{"--exclude-larger-than", "1k"}, []string{"big.bin", "sub/big.bin"}, false},
		{[]string{"--exclude-larger-than", "2K"}, nil, false},
		{[]string{"--exclude-larger-than", "1k", "--exclude", "*.tmp", "--exclude-if-present", ".nobackup",
			filepath.Join(dir, "big.bin"), filepath.Join(dir, "b.tmp"), filepath.Join(dir, "a.txt"), filepath.Join(dir, "skip/data"),
			filepath.Join(dir, "skip/.nobackup"), filepath.Join(dir, "sub")}, []string{"big.bin", "b.tmp", "skip/data", "sub/big.bin"}, true},
	})
}

// TestBackupOneFileSystemAsRestic: -x keeps a tmpfs mounted below the
// target as an empty directory and leaves out a file mounted from it, as
// restic 0.14 does, and crosses a bind mount of the same device.
func TestBackupOneFileSystemAsRestic(t *testing.T) {
	dir, other := filepath.Join(t.TempDir(), "data"), t.TempDir()
	writeTree(t, dir, map[string]string{"a": "a", "sub/b": "b", "filemnt": "covered", "mnt/.keep": "", "bind/.keep": ""})
	writeTree(t, other, map[string]string{"o": "other directory"})
	testenv.Mount(t, "-t", "tmpfs", "none", filepath.Join(dir, "mnt"))
	writeTree(t, filepath.Join(dir, "mnt"), map[string]string{"inner/f": "on tmpfs", "ff": "tmpfs file"})
	testenv.Mount(t, "--bind", other, filepath.Join(dir, "bind"))
	testenv.Mount(t, "--bind", filepath.Join(dir, "mnt/ff"), filepath.Join(dir, "filemnt"))
	sameBackupAsRestic(t, dir, []backupFlagCase{
		{[]string{"-x"}, []string{"mnt/inner", "mnt/ff", "filemnt"}, false},
		{[]string{"--one-file-system"}, []string{"mnt/inner"}, false},
		{nil, nil, false},
	})
}

// TestBackupFilesFromAsRestic: the --files-from* flags name the targets as
// restic 0.14's do, alone or with path arguments: patterns with comments
// and globs, verbatim lines, NUL-separated names.
func TestBackupFilesFromAsRestic(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	writeTree(t, dir, map[string]string{
		"a.txt": "a", "b.txt": "b", "c.log": "c", "sub/d.txt": "d", "sub/e.log": "e",
		" lead": "leading space", "star*": "a star", "#hash": "hash", "new\nline": "newline", "other/x": "x",
	})
	list := func(name, content string) string {
		p := filepath.Join(base, name)
		must(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	d := dir + "/"
	patterns := list("patterns", "# the text files\n"+d+"*.txt\n\n  "+d+"sub/*.log  \r\n#"+d+"c.log\n"+d+"nothing-*\n")
	verbatim := list("verbatim", d+" lead\n"+d+"star*\n\n"+d+"#hash\n")
	raw := list("raw", d+"new\nline\x00"+d+"c.log\x00")
	sameBackupAsRestic(t, dir, []backupFlagCase{
		{[]string{"--files-from", patterns}, []string{"c.log", "other", "sub/d.txt"}, true},
		{[]string{"--files-from-verbatim", verbatim}, []string{"star", "a.txt"}, true},
		{[]string{"--files-from-raw", raw}, []string{"a.txt"}, true},
		{[]string{"--files-from", patterns, "--files-from-raw", raw, "--files-from-verbatim", verbatim, d + "other"}, []string{"sub/d.txt"}, true},
	})
}
