package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// restoreStamp is the mtime of every file writeFiles writes.
var restoreStamp = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// writeFiles writes files (path -> content; a path ending in "/" is an
// empty directory) below dir, each with mtime restoreStamp.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			must(t, os.MkdirAll(full, 0o755))
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(full), 0o755))
		must(t, os.WriteFile(full, []byte(content), 0o644))
		must(t, os.Chtimes(full, restoreStamp, restoreStamp))
	}
}

// readTargetTree returns the entries below dir as writeFiles takes them; a
// directory is listed only when it is empty.
func readTargetTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	must(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if names, _ := os.ReadDir(p); len(names) == 0 {
				got[rel+"/"] = ""
			}
			return nil
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	}))
	return got
}

var restoreFlagsTree = map[string]string{
	"a.txt": "a", "B.TXT": "b", "keep/c.txt": "c", "keep/deep/d.md": "d",
	"skip/e.txt": "e", "skip/deep/f.md": "f", "empty/": "",
}

// TestRestoreFiltersAsRestic: restore's --include/--exclude flags, their
// case-insensitive and file forms, and SNAPSHOT:SUBFOLDER restore what
// restic 0.19.1's do (the expected trees), and what stock restic 0.14
// restores with the flags it has.
func TestRestoreFiltersAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	writeFiles(t, src, restoreFlagsTree)
	c := newCLI(t, repo)
	c.must("init")
	c.must("backup", src)
	files := t.TempDir()
	writeFiles(t, files, map[string]string{"inc": "# restore these\n" + src + "/keep\n\n*.MD\n", "exc": src + "/skip\n$UNSET_VAR*.txt\n"})
	for _, tc := range []struct {
		name   string
		args   []string
		want   []string // below the target, src's entries without src's prefix
		restic bool     // restic 0.14 has the flags
	}{
		{"include", []string{"--include", src + "/keep"}, []string{"keep/c.txt", "keep/deep/d.md"}, true},
		{"include base name", []string{"-i", "*.txt"}, []string{"a.txt", "keep/c.txt", "skip/e.txt"}, true},
		{"iinclude", []string{"--iinclude", "*.txt"}, []string{"B.TXT", "a.txt", "keep/c.txt", "skip/e.txt"}, true},
		{"include double star", []string{"-i", src + "/**/deep/*.md"}, []string{"keep/deep/d.md", "skip/deep/f.md"}, true},
		{"exclude", []string{"--exclude", src + "/skip", "-e", "*.md"}, []string{"B.TXT", "a.txt", "empty/", "keep/c.txt", "keep/deep/"}, true},
		{"iexclude", []string{"--iexclude", "*.TXT"}, []string{"empty/", "keep/deep/d.md", "skip/deep/f.md"}, true},
		{"exclude negated", []string{"-e", "*.txt", "-e", "!c.txt"}, []string{"B.TXT", "empty/", "keep/c.txt", "keep/deep/d.md", "skip/deep/f.md"}, true},
		{"include-file", []string{"--include-file", filepath.Join(files, "inc")}, []string{"keep/c.txt", "keep/deep/d.md"}, false},
		{"iinclude-file", []string{"--iinclude-file", filepath.Join(files, "inc")}, []string{"keep/c.txt", "keep/deep/d.md", "skip/deep/f.md"}, false},
		{"exclude-file", []string{"--exclude-file", filepath.Join(files, "exc")}, []string{"B.TXT", "empty/", "keep/deep/d.md"}, false},
		{"iexclude-file", []string{"--iexclude-file", filepath.Join(files, "exc")}, []string{"empty/", "keep/deep/d.md"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := t.TempDir()
			c.must(append([]string{"restore", "latest", "--target", dst}, tc.args...)...)
			got := slices.Sorted(maps.Keys(readTargetTree(t, filepath.Join(dst, src))))
			if !slices.Equal(got, tc.want) {
				t.Errorf("drydock restored %q, want %q", got, tc.want)
			}
			if !tc.restic {
				return
			}
			theirs := t.TempDir()
			c.mustRestic(bin, append([]string{"restore", "latest", "--target", theirs}, tc.args...)...)
			if rgot := slices.Sorted(maps.Keys(readTargetTree(t, filepath.Join(theirs, src)))); !slices.Equal(rgot, got) {
				t.Errorf("restic 0.14 restored %q, drydock %q", rgot, got)
			}
		})
	}

	// SNAPSHOT:SUBFOLDER restores the folder's content into the target.
	dst := t.TempDir()
	c.must("restore", "latest:"+src+"/keep", "--target", dst, "-e", "*.md")
	if got := readTargetTree(t, dst); !maps.Equal(got, map[string]string{"c.txt": "c", "deep/": ""}) {
		t.Errorf("latest:%s/keep restored %q", src, got)
	}
	for sub, want := range map[string]string{src + "/nothing": "not in the snapshot", src + "/a.txt": "not a directory"} {
		if _, errOut, code := c.run("restore", "latest:"+sub, "--target", t.TempDir()); code != exitFailure || !strings.Contains(errOut, want) {
			t.Errorf("restore latest:%s: exit %d, %q; want 1 and %q", sub, code, errOut, want)
		}
	}
}

// summaryTime is the duration in a restore summary, which varies.
var summaryTime = regexp.MustCompile(` in \d+:\d\d`)

// TestRestoreOverwriteDeleteAsRestic: --overwrite, --delete and --dry-run
// change the target as restic 0.19.1's do, and say so in its words (with
// -vv, each entry; the summary always).
func TestRestoreOverwriteDeleteAsRestic(t *testing.T) {
	src, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	writeFiles(t, src, map[string]string{"same": "same", "changed": "new", "older": "new1", "newer": "new2", "d/sub": "s"})
	c := newCLI(t, repo)
	c.must("init")
	c.must("backup", src)
	before := map[string]string{"same": "same", "changed": "old", "older": "old1x", "newer": "old2x", "extra": "x", "gone/f": "f"}
	mtimes := map[string]time.Duration{"older": -time.Hour, "newer": time.Hour}
	after := map[string]string{"same": "same", "changed": "new", "older": "new1", "newer": "new2", "d/sub": "s"}
	for _, tc := range []struct {
		name string
		args []string
		want map[string]string // differences from after; "" removes
		out  []string          // stdout below the first line, summary time cut
	}{
		{"always", nil, map[string]string{"extra": "x", "gone/f": "f"},
			[]string{"Summary: Restored 5 files/dirs (12 B) in, skipped 1 files/dirs 4 B"}},
		{"if-newer", []string{"--overwrite", "if-newer"}, map[string]string{"extra": "x", "gone/f": "f", "newer": "old2x", "changed": "old"},
			[]string{"Summary: Restored 3 files/dirs (5 B) in, skipped 3 files/dirs 11 B"}},
		{"never delete", []string{"--overwrite", "never", "--delete", "-vv"}, map[string]string{"newer": "old2x", "changed": "old", "older": "old1x"},
			[]string{
				"restored  /d/sub with size 1 B",
				"restored  /d",
				"unchanged /changed with size 3 B",
				"unchanged /newer with size 4 B",
				"unchanged /older with size 4 B",
				"unchanged /same with size 4 B",
				"deleted   TARGET/extra",
				"deleted   TARGET/gone",
				"deleted   TARGET/gone/f",
				"Summary: Restored 2 files/dirs (1 B) in, skipped 4 files/dirs 15 B, deleted 3 files/dirs",
			}},
		{"dry run", []string{"--dry-run", "--delete", "-vv"}, before,
			[]string{
				"restored  /d/sub with size 1 B",
				"restored  /d",
				"updated   /changed with size 3 B",
				"updated   /newer with size 4 B",
				"updated   /older with size 4 B",
				"unchanged /same with size 4 B",
				"deleted   TARGET/extra",
				"deleted   TARGET/gone/f",
				"deleted   TARGET/gone",
				"Summary: Restored 5 files/dirs (12 B) in, skipped 1 files/dirs 4 B, deleted 3 files/dirs",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := t.TempDir()
			writeFiles(t, dst, before)
			for p, d := range mtimes {
				must(t, os.Chtimes(filepath.Join(dst, p), restoreStamp.Add(d), restoreStamp.Add(d)))
			}
			out := c.must(append([]string{"restore", "latest:" + src, "--target", dst}, tc.args...)...)
			want := maps.Clone(after)
			if tc.name == "dry run" {
				want = map[string]string{}
			}
			maps.Copy(want, tc.want)
			if got := readTargetTree(t, dst); !maps.Equal(got, want) {
				t.Errorf("target holds %q, want %q", got, want)
			}
			lines := strings.Split(strings.TrimSpace(summaryTime.ReplaceAllString(strings.ReplaceAll(out, dst, "TARGET"), " in")), "\n")
			if !strings.HasPrefix(lines[0], "restoring snapshot ") || !strings.HasSuffix(lines[0], " to TARGET") {
				t.Errorf("first line %q", lines[0])
			}
			got := lines[1:]
			// Entries are printed as they finish, content in parallel:
			// compare in order only what restic orders (deletions last,
			// the summary at the end).
			slices.Sort(got[:max(0, len(got)-1)])
			wantOut := slices.Clone(tc.out)
			slices.Sort(wantOut[:len(wantOut)-1])
			if !slices.Equal(got, wantOut) {
				t.Errorf("stdout:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOut, "\n"))
			}
		})
	}
}

// TestRestoreFlagErrors: contradictory or malformed restore flags are
// refused, as restic 0.19.1 refuses them, before anything is written.
func TestRestoreFlagErrors(t *testing.T) {
	src, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	writeFiles(t, src, map[string]string{"a": "a"})
	c := newCLI(t, repo)
	c.must("init")
	c.must("backup", src)
	bad := filepath.Join(t.TempDir(), "bad")
	must(t, os.WriteFile(bad, []byte("ok\n/x/[\n"), 0o600))
	good := filepath.Join(t.TempDir(), "good")
	must(t, os.WriteFile(good, []byte("*.tmp\n"), 0o600))
	target := filepath.Join(t.TempDir(), "target")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-i", "a", "-e", "b"}, "exclude and include patterns are mutually exclusive"},
		{[]string{"--iinclude", "a", "--exclude-file", good}, "exclude and include patterns are mutually exclusive"},
		{[]string{"--dry-run", "--verify"}, "--dry-run and --verify are mutually exclusive"},
		{[]string{"--overwrite", "sometimes"}, `invalid overwrite behavior "sometimes", must be one of (always|if-changed|if-newer|never)`},
		{[]string{"--exclude", "["}, `--exclude: pattern "[": syntax error in pattern`},
		{[]string{"--iinclude-file", bad}, `--iinclude-file ` + bad + `: pattern "/x/[": syntax error in pattern`},
		{[]string{"--include-file", bad + ".missing"}, "--include-file: pattern file: open " + bad + ".missing"},
	} {
		_, errOut, code := c.run(append([]string{"restore", "latest", "--target", target}, tc.args...)...)
		if code != exitFailure || !strings.Contains(errOut, tc.want) {
			t.Errorf("restore %q: exit %d, %q; want 1 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("a refused restore made its target")
	}
	if _, errOut, code := c.run("restore", "latest", "--target", "/", "--delete", "--dry-run"); code != exitFailure || !strings.Contains(errOut, "--target / --delete must be combined with an include or exclude filter") {
		t.Errorf("--target / --delete: exit %d, %q", code, errOut)
	}
}

// TestRestoreJSONAndVerify: --json prints restic 0.19.1's summary
// message, and --verify its two lines, after the summary.
func TestRestoreJSONAndVerify(t *testing.T) {
	src, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	writeFiles(t, src, map[string]string{"a": "aa", "b": "bbb", "extra/": ""})
	c := newCLI(t, repo)
	c.must("init")
	c.must("backup", src)
	dst := t.TempDir()
	writeFiles(t, dst, map[string]string{"a": "aa", "gone": "g"})
	var sum map[string]any
	must(t, json.Unmarshal([]byte(c.must("restore", "latest:"+src, "--target", dst, "--delete", "--json")), &sum))
	want := map[string]any{"message_type": "summary", "total_files": 2.0, "files_restored": 2.0, "files_skipped": 1.0, "files_deleted": 1.0,
		"total_bytes": 3.0, "bytes_restored": 3.0, "bytes_skipped": 2.0,
		"files": 1.0, "dirs": 1.0, "hardlinks": 0.0, "other": 0.0, "bytes": 3.0, "failed": 0.0}
	if !maps.Equal(sum, want) {
		t.Errorf("summary %v, want %v", sum, want)
	}

	out := c.must("restore", "latest:"+src, "--target", t.TempDir(), "--verify")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "Summary: Restored 3 files/dirs (5 B) in ") ||
		!strings.HasPrefix(lines[2], "verifying files in ") || !regexp.MustCompile(`^finished verifying 2 files in .+ \(took .+\)$`).MatchString(lines[3]) {
		t.Errorf("restore --verify printed:\n%s", out)
	}
}
