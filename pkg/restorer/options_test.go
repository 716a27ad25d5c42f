package restorer_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// stamp is the modification time of every file writeTree writes.
var stamp = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// writeTree writes files (path -> content; a path ending in "/" is an
// empty directory) below dir, all with mtime stamp.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns what writeTree would have to write to make dir.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir():
			got[rel+"/"] = ""
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			got[rel] = "-> " + target
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Directories holding something are implied by it.
	for p := range got {
		if strings.HasSuffix(p, "/") && slices.ContainsFunc(slices.Collect(maps.Keys(got)), func(q string) bool { return q != p && strings.HasPrefix(q, p) }) {
			delete(got, p)
		}
	}
	return got
}

// backupTree backs files up and returns the repository and the tree of
// their directory, so that snapshot paths are "/a", "/d/b", ...
func backupTree(t *testing.T, files map[string]string) (*repo.Repository, format.ID) {
	t.Helper()
	src := t.TempDir()
	writeTree(t, src, files)
	r, root := backup(t, src)
	n, err := snaptree.LookupDir(t.Context(), r, root, src)
	if err != nil {
		t.Fatal(err)
	}
	return r, *n.Subtree
}

var selectTree = map[string]string{
	"a.txt":          "a",
	"B.TXT":          "b",
	"keep/c.txt":     "c",
	"keep/deep/d.md": "d",
	"skip/e.txt":     "e",
	"skip/deep/f.md": "f",
	"empty/":         "",
}

// TestRestoreSelect: --include, --iinclude, --exclude and --iexclude
// restore what restic 0.19.1's do (pathmatch patterns on the snapshot
// path; an include restores the directories leading to a match, and
// none that lead to nothing).
func TestRestoreSelect(t *testing.T) {
	r, tree := backupTree(t, selectTree)
	for _, c := range []struct {
		name string
		opts restorer.Options
		want []string
	}{
		{"everything", restorer.Options{}, []string{"B.TXT", "a.txt", "empty/", "keep/c.txt", "keep/deep/d.md", "skip/deep/f.md", "skip/e.txt"}},
		{"include base name anywhere", restorer.Options{Include: []string{"*.txt"}}, []string{"a.txt", "keep/c.txt", "skip/e.txt"}},
		{"iinclude", restorer.Options{IInclude: []string{"*.txt"}}, []string{"B.TXT", "a.txt", "keep/c.txt", "skip/e.txt"}},
		{"include and iinclude", restorer.Options{Include: []string{"/keep"}, IInclude: []string{"b.txt"}}, []string{"B.TXT", "keep/c.txt", "keep/deep/d.md"}},
		{"include directory", restorer.Options{Include: []string{"/skip/deep"}}, []string{"skip/deep/f.md"}},
		{"include double star", restorer.Options{Include: []string{"/**/deep/*.md"}}, []string{"keep/deep/d.md", "skip/deep/f.md"}},
		{"include relative path", restorer.Options{Include: []string{"deep/d.md"}}, []string{"keep/deep/d.md"}},
		{"include nothing", restorer.Options{Include: []string{"/keep/nothing"}}, nil},
		{"exclude directory", restorer.Options{Exclude: []string{"/skip"}}, []string{"B.TXT", "a.txt", "empty/", "keep/c.txt", "keep/deep/d.md"}},
		{"exclude name anywhere", restorer.Options{Exclude: []string{"deep", "*.txt"}}, []string{"B.TXT", "empty/", "keep/", "skip/"}},
		{"iexclude", restorer.Options{IExclude: []string{"*.txt"}}, []string{"empty/", "keep/deep/d.md", "skip/deep/f.md"}},
		{"exclude then take back", restorer.Options{Exclude: []string{"*.txt", "!c.txt"}}, []string{"B.TXT", "empty/", "keep/c.txt", "keep/deep/d.md", "skip/deep/f.md"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := t.TempDir()
			if _, err := restorer.Restore(t.Context(), r, tree, dst, c.opts); err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(readTree(t, dst))); !slices.Equal(got, c.want) {
				t.Errorf("restored %q, want %q", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		opts restorer.Options
		want error
	}{
		{"include and exclude", restorer.Options{Include: []string{"a"}, Exclude: []string{"b"}}, restorer.ErrIncludeAndExclude},
		{"iinclude and iexclude", restorer.Options{IInclude: []string{"a"}, IExclude: []string{"b"}}, restorer.ErrIncludeAndExclude},
		{"bad include", restorer.Options{Include: []string{"["}}, filepath.ErrBadPattern},
		{"bad iexclude", restorer.Options{IExclude: []string{"x/[a-"}}, filepath.ErrBadPattern},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "target")
			if _, err := restorer.Restore(t.Context(), r, tree, dst, c.opts); !errors.Is(err, c.want) {
				t.Fatalf("Restore: %v, want %v", err, c.want)
			}
			if _, err := os.Stat(dst); err == nil {
				t.Error("a refused restore created its target")
			}
		})
	}
}

// TestRestoreOverwrite: each --overwrite mode keeps or replaces what the
// target holds as restic 0.19.1's does, and counts kept files as skipped.
func TestRestoreOverwrite(t *testing.T) {
	r, tree := backupTree(t, map[string]string{
		"same": "same", "touched": "touched", "samesize": "aaaa",
		"older": "new1", "newer": "new2", "missing": "m",
	})
	// What the target holds before each restore, and the mtimes that
	// differ from the snapshot's.
	before := map[string]string{"same": "same", "touched": "touched", "samesize": "bbbb", "older": "old1x", "newer": "old2x"}
	mtimes := map[string]time.Time{"touched": stamp.Add(-time.Hour), "older": stamp.Add(-time.Hour), "newer": stamp.Add(time.Hour)}
	restored := map[string]string{"same": "same", "touched": "touched", "samesize": "aaaa", "older": "new1", "newer": "new2", "missing": "m"}
	for _, c := range []struct {
		mode           restorer.Overwrite
		want           map[string]string // differences from restored
		files, skipped int
		touchedStamp   bool // touched got the snapshot's mtime (metadata restored)
	}{
		{restorer.OverwriteAlways, nil, 4, 2, true},
		{restorer.OverwriteIfChanged, map[string]string{"samesize": "bbbb"}, 3, 3, true},
		{restorer.OverwriteIfNewer, map[string]string{"samesize": "bbbb", "newer": "old2x"}, 2, 4, true},
		{restorer.OverwriteNever, map[string]string{"samesize": "bbbb", "older": "old1x", "newer": "old2x", "touched": "touched"}, 1, 5, false},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			dst := t.TempDir()
			writeTree(t, dst, before)
			for p, mt := range mtimes {
				if err := os.Chtimes(filepath.Join(dst, p), mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			var unchanged []string
			st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Overwrite: c.mode, Item: func(it restorer.Item) {
				if it.Action == restorer.Unchanged {
					unchanged = append(unchanged, it.Path)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			want := maps.Clone(restored)
			maps.Copy(want, c.want)
			if got := readTree(t, dst); !maps.Equal(got, want) {
				t.Errorf("target holds %q, want %q", got, want)
			}
			if st.Files != c.files || st.Skipped != c.skipped || len(unchanged) != c.skipped {
				t.Errorf("restored %d files, skipped %d (items %q); want %d, %d", st.Files, st.Skipped, unchanged, c.files, c.skipped)
			}
			fi, err := os.Stat(filepath.Join(dst, "touched"))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.ModTime().Equal(stamp); got != c.touchedStamp {
				t.Errorf("touched has mtime %v, the snapshot's %v: want restored %v", fi.ModTime(), stamp, c.touchedStamp)
			}
		})
	}
}

func TestOverwriteFlag(t *testing.T) {
	for _, s := range []string{"always", "if-changed", "if-newer", "never"} {
		var o restorer.Overwrite
		if err := o.Set(s); err != nil || o.String() != s {
			t.Errorf("Set(%q): %v, %v", s, o, err)
		}
	}
	var o restorer.Overwrite
	if err := o.Set("sometimes"); err == nil || !strings.Contains(err.Error(), "always|if-changed|if-newer|never") {
		t.Errorf("Set(sometimes): %v", err)
	}
}

// TestRestoreDelete: --delete removes what the snapshot lacks from the
// directories restored, of it only what the patterns select, and never
// through a symlink; with --dry-run it reports the same and removes
// nothing.
func TestRestoreDelete(t *testing.T) {
	snap := map[string]string{"a": "a", "d/b": "b", "keep/x.log": "x"}
	r, tree := backupTree(t, snap)
	before := map[string]string{"a": "old", "extra": "e", "d/b": "b", "d/extra2": "e2", "gone/deep/f": "f",
		"keep/y.log": "y", "keep/z.txt": "z", "keep/x.log.drydock-partial": "p"}
	all := []string{"d/extra2", "d/ldir", "extra", "gone", "gone/deep", "gone/deep/f", "keep/y.log", "keep/z.txt", "link"}
	for _, c := range []struct {
		name    string
		opts    restorer.Options
		want    map[string]string // the target after the restore
		deleted []string          // reported, below the target
	}{
		{"all", restorer.Options{Delete: true}, map[string]string{"a": "a", "d/b": "b", "keep/x.log": "x", "keep/x.log.drydock-partial": "p"}, all},
		{"include", restorer.Options{Delete: true, Include: []string{"*.log"}}, nil, []string{"keep/y.log"}},
		{"exclude", restorer.Options{Delete: true, Exclude: []string{"/gone", "*.txt", "/d"}}, nil, []string{"extra", "keep/y.log", "link"}},
		{"dry run", restorer.Options{Delete: true, DryRun: true}, nil, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst, outside := t.TempDir(), t.TempDir()
			writeTree(t, dst, before)
			writeTree(t, outside, map[string]string{"precious": "p"})
			for link, target := range map[string]string{"link": filepath.Join(outside, "precious"), "d/ldir": outside} {
				if err := os.Symlink(target, filepath.Join(dst, link)); err != nil {
					t.Fatal(err)
				}
			}
			var deleted []string
			st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Delete: c.opts.Delete, DryRun: c.opts.DryRun,
				Include: c.opts.Include, Exclude: c.opts.Exclude, Item: func(it restorer.Item) {
					if it.Action == restorer.Deleted {
						rel, _ := filepath.Rel(dst, it.Path)
						deleted = append(deleted, rel)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(deleted)
			if !slices.Equal(deleted, c.deleted) || st.Deleted != len(c.deleted) {
				t.Errorf("deleted %q (%d), want %q", deleted, st.Deleted, c.deleted)
			}
			if c.want != nil {
				if got := readTree(t, dst); !maps.Equal(got, c.want) {
					t.Errorf("target holds %q, want %q", got, c.want)
				}
			}
			for _, p := range c.deleted {
				_, err := os.Lstat(filepath.Join(dst, p))
				if gone := errors.Is(err, os.ErrNotExist); gone == c.opts.DryRun {
					t.Errorf("%s: gone %v after a restore with dry run %v", p, gone, c.opts.DryRun)
				}
			}
			if got := readTree(t, outside); !maps.Equal(got, map[string]string{"precious": "p"}) {
				t.Errorf("outside the target: %q", got)
			}
		})
	}
}

// TestRestoreDryRun: a dry run reports what it would restore and writes
// nothing, not even the target.
func TestRestoreDryRun(t *testing.T) {
	r, tree := backupTree(t, map[string]string{"a": "aa", "d/b": "b", "d/c": "c"})
	dst := filepath.Join(t.TempDir(), "target")
	var items []string
	st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{DryRun: true, Item: func(it restorer.Item) {
		items = append(items, string(it.Action)+" "+it.Path)
	}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(items)
	if want := []string{"restored /a", "restored /d", "restored /d/b", "restored /d/c"}; !slices.Equal(items, want) {
		t.Errorf("items %q, want %q", items, want)
	}
	if st.Files != 3 || st.Dirs != 1 || st.Bytes != 4 {
		t.Errorf("stats %+v", st)
	}
	if _, err := os.Lstat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run made its target: %v", err)
	}

	// Into a target that holds an older version: updated, and untouched.
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTree(t, dst, map[string]string{"a": "xx", "d/b": "b"})
	items = nil
	if _, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{DryRun: true, Item: func(it restorer.Item) {
		items = append(items, string(it.Action)+" "+it.Path)
	}}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(items)
	if want := []string{"restored /d", "restored /d/c", "unchanged /d/b", "updated /a"}; !slices.Equal(items, want) {
		t.Errorf("items %q, want %q", items, want)
	}
	if got := readTree(t, dst); !maps.Equal(got, map[string]string{"a": "xx", "d/b": "b"}) {
		t.Errorf("a dry run changed the target: %q", got)
	}
	if _, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{DryRun: true, Verify: true}); err == nil {
		t.Error("a dry run verified")
	}
}

// TestRestoreVerify: --verify reads back what was written and names a
// file whose content is not the snapshot's.
func TestRestoreVerify(t *testing.T) {
	r, tree := backupTree(t, map[string]string{"a": "aa", "d/b": "bbb", "d/c": ""})
	for _, c := range []struct {
		name    string
		corrupt map[string]string // written between restore and verify
		want    string            // in the error; "" for none
	}{
		{"intact", nil, ""},
		{"changed", map[string]string{"d/b": "bxb"}, "/d/b: verify: content differs from the snapshot's at offset 0"},
		{"shorter", map[string]string{"a": "a"}, "/a: verify: size is 1 bytes, the snapshot's 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := t.TempDir()
			var failed []string
			st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Verify: true,
				Verifying: func(restorer.Stats) { writeTree(t, dst, c.corrupt) },
				Failed:    func(f restorer.Failure) { failed = append(failed, f.Error()) }})
			if c.want == "" {
				if err != nil || st.Verified != 3 {
					t.Fatalf("verified %d files: %v", st.Verified, err)
				}
				return
			}
			if !errors.Is(err, restorer.ErrVerify) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Restore: %v, want ErrVerify naming %q", err, c.want)
			}
			if len(failed) != 1 || failed[0] != c.want {
				t.Errorf("failures %q", failed)
			}
		})
	}
}

// TestRestoreKeepsSharedInodes: a file in the target with the snapshot's
// content but hardlinked elsewhere is replaced by a file of its own, so
// that restoring its metadata cannot change the other name's.
func TestRestoreKeepsSharedInodes(t *testing.T) {
	r, tree := backupTree(t, map[string]string{"f": "content"})
	dst, outside := t.TempDir(), t.TempDir()
	writeTree(t, outside, map[string]string{"f": "content"})
	if err := os.Chmod(filepath.Join(outside, "f"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(outside, "f"), filepath.Join(dst, "f")); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []restorer.Overwrite{restorer.OverwriteAlways, restorer.OverwriteIfChanged} {
		if _, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Overwrite: mode}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(outside, "f"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%v: the file outside the target: %v, %v", mode, fi.Mode(), err)
		}
		if got, _ := os.ReadFile(filepath.Join(dst, "f")); string(got) != "content" {
			t.Fatalf("%v: restored %q", mode, got)
		}
	}
}

// TestRestoreAgainDeletesNothing: restoring the fixture over its own
// restore with Delete keeps it exact (symlinks, fifo, hardlinks, modes,
// times) and deletes nothing; every file is found unchanged or, if
// hardlinked, replaced.
func TestRestoreAgainDeletesNothing(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, tree := backup(t, src)
	dst := t.TempDir()
	first, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []restorer.Overwrite{restorer.OverwriteAlways, restorer.OverwriteIfChanged, restorer.OverwriteIfNewer, restorer.OverwriteNever} {
		st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Delete: true, Overwrite: mode})
		if err != nil {
			t.Fatal(err)
		}
		fixture.Compare(t, src, filepath.Join(dst, src), fixture.CompareOptions{})
		if st.Deleted != 0 || st.Skipped == 0 || st.Files+st.Skipped < first.Files {
			t.Errorf("%v: again %+v, first %+v", mode, st, first)
		}
	}
}
