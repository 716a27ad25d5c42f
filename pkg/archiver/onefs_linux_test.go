package archiver

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// mountedTree writes a tree below dir with a tmpfs at mnt, a directory
// of the same device bind-mounted at bind, and a tmpfs file bind-mounted
// over the file filemnt.
func mountedTree(t *testing.T, dir string) {
	t.Helper()
	other := t.TempDir()
	for _, d := range []string{"mnt", "bind", "sub"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "a"))
	write(filepath.Join(dir, "sub/b"))
	write(filepath.Join(dir, "filemnt"))
	write(filepath.Join(other, "o"))
	testenv.Mount(t, "-t", "tmpfs", "none", filepath.Join(dir, "mnt"))
	write(filepath.Join(dir, "mnt/inner/f"))
	write(filepath.Join(dir, "mnt/ff"))
	testenv.Mount(t, "--bind", other, filepath.Join(dir, "bind"))
	testenv.Mount(t, "--bind", filepath.Join(dir, "mnt/ff"), filepath.Join(dir, "filemnt"))
}

// TestOneFileSystem: with OneFileSystem a mount point below a target is
// kept empty and a file mounted from elsewhere is left out; a bind mount
// of the target's device is crossed. A target on another file system is
// saved in full.
func TestOneFileSystem(t *testing.T) {
	dir := t.TempDir()
	mountedTree(t, dir)
	for _, c := range []struct {
		name    string
		one     bool
		targets []string
		target  string // whose listing is compared
		want    []string
	}{
		{"crossing", false, []string{dir}, dir,
			[]string{"a", "bind/", "bind/o", "filemnt", "mnt/", "mnt/ff", "mnt/inner/", "mnt/inner/f", "sub/", "sub/b"}},
		{"one file system", true, []string{dir}, dir,
			[]string{"a", "bind/", "bind/o", "mnt/", "sub/", "sub/b"}},
		{"target on the other file system", true, []string{filepath.Join(dir, "mnt")}, filepath.Join(dir, "mnt"),
			[]string{"ff", "inner/", "inner/f"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testRepo(t)
			res := save(t, r, c.targets, nil, Options{OneFileSystem: c.one})
			if got := savedPaths(t, r, res.Tree, c.target); !slices.Equal(got, c.want) {
				t.Errorf("saved %q\nwant  %q", got, c.want)
			}
		})
	}
}
