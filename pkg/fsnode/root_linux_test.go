//go:build linux

package fsnode_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// rootModes runs test on a Root that resolves with openat2 (where the
// kernel has it) and on one that walks component by component.
func rootModes(t *testing.T, test func(t *testing.T, root *fsnode.Root, target, outside string)) {
	for _, mode := range []string{"openat2", "walk"} {
		t.Run(mode, func(t *testing.T) {
			parent := t.TempDir()
			outside := filepath.Join(parent, "outside")
			must(t, os.Mkdir(outside, 0o755))
			must(t, os.WriteFile(filepath.Join(outside, "victim"), []byte("original"), 0o644))
			root, err := fsnode.OpenRoot(filepath.Join(parent, "target"))
			must(t, err)
			t.Cleanup(func() { root.Close() })
			if mode == "walk" {
				fsnode.WithoutOpenat2(root)
			} else if !fsnode.HasOpenat2(root) {
				t.Skip("this kernel has no openat2") // the walk covers it
			}
			test(t, root, root.Path(), outside)
			if b, err := os.ReadFile(filepath.Join(outside, "victim")); err != nil || string(b) != "original" {
				t.Errorf("outside file: %q, %v", b, err)
			}
			if fi, err := os.Stat(filepath.Join(outside, "victim")); err != nil || fi.Mode() != 0o644 {
				t.Errorf("outside file mode: %v, %v", fi, err)
			}
			if es, _ := os.ReadDir(outside); len(es) != 1 {
				t.Errorf("outside directory holds %v", es)
			}
		})
	}
}

func TestRootRefusesSymlinkedDirectories(t *testing.T) {
	rootModes(t, func(t *testing.T, root *fsnode.Root, target, outside string) {
		must(t, os.Symlink(outside, filepath.Join(target, "up")))
		must(t, os.Symlink("../outside", filepath.Join(target, "rel")))
		for _, rel := range []string{"up/new", "rel/new", "up/victim", "rel/victim"} {
			if f, err := root.CreateFile(rel); err == nil {
				f.Close()
				t.Errorf("CreateFile(%s) went through a symlink", rel)
			}
			if f, err := root.OpenFile(rel); err == nil {
				f.Close()
				t.Errorf("OpenFile(%s) went through a symlink", rel)
			}
		}
		for _, rel := range []string{"up", "rel", "../outside", "a/../up", "", "/etc"} {
			if rel == "" {
				continue
			}
			if d, err := root.Dir(rel); err == nil {
				d.Close()
				t.Errorf("Dir(%s) opened", rel)
			}
			if f, err := root.OpenDirectory(rel); err == nil {
				f.Close()
				t.Errorf("OpenDirectory(%s) opened", rel)
			}
		}
		if err := root.Link("up/victim", "stolen"); err == nil {
			t.Error("Link through a symlinked directory succeeded")
		}
	})
}

func TestRootReplacesSymlinksAndHardlinks(t *testing.T) {
	rootModes(t, func(t *testing.T, root *fsnode.Root, target, outside string) {
		victim := filepath.Join(outside, "victim")
		must(t, os.Symlink(victim, filepath.Join(target, "abs")))
		must(t, os.Symlink(outside, filepath.Join(target, "dir")))
		must(t, os.Link(victim, filepath.Join(target, "hard")))
		for _, rel := range []string{"abs", "hard"} {
			f, err := root.CreateFile(rel)
			must(t, err)
			_, err = f.WriteString("restored")
			must(t, err)
			must(t, fsnode.ApplyMetadataFile(f, &format.Node{Type: format.NodeFile, Mode: os.ModeSetuid | 0o777}))
			must(t, f.Close())
		}
		d, err := root.Dir("")
		must(t, err)
		defer d.Close()
		must(t, d.Mkdir("dir"))
		if fi, err := os.Lstat(filepath.Join(target, "dir")); err != nil || !fi.IsDir() {
			t.Errorf("dir: %v, %v: want a directory in place of the symlink", fi, err)
		}
		if err := root.Link("abs", "abs2"); err != nil {
			t.Error(err)
		}
		// A symlink is never the first name of a hardlink.
		must(t, os.Symlink(victim, filepath.Join(target, "sym")))
		if err := root.Link("sym", "sym2"); err == nil {
			t.Error("Link made a hardlink of a symlink")
		}
		// Metadata for one kind of entry never lands on another.
		if err := d.ApplyMetadata("sym", &format.Node{Type: format.NodeFile, Mode: 0o777}); err == nil {
			t.Error("ApplyMetadata of a file applied to a symlink")
		}
		if err := d.ApplyMetadata("sym", &format.Node{Type: format.NodeFifo, Mode: os.ModeNamedPipe | 0o777}); err == nil {
			t.Error("ApplyMetadata of a fifo applied to a symlink")
		}
	})
}

func TestRootDirectoryInTheWay(t *testing.T) {
	rootModes(t, func(t *testing.T, root *fsnode.Root, target, outside string) {
		must(t, os.Mkdir(filepath.Join(target, "d"), 0o755))
		must(t, os.WriteFile(filepath.Join(target, "d", "keep"), nil, 0o644))
		if _, err := root.CreateFile("d"); !errors.Is(err, unix.EISDIR) {
			t.Errorf("CreateFile over a directory: %v, want EISDIR", err)
		}
		d, err := root.Dir("")
		must(t, err)
		defer d.Close()
		if err := d.CreateSpecial("d", &format.Node{Type: format.NodeSymlink, LinkTarget: outside}); err == nil {
			t.Error("a symlink replaced a directory")
		}
		if _, err := os.Stat(filepath.Join(target, "d", "keep")); err != nil {
			t.Error(err)
		}
	})
}

func TestRootSetAside(t *testing.T) {
	rootModes(t, func(t *testing.T, root *fsnode.Root, target, outside string) {
		must(t, os.WriteFile(filepath.Join(target, "f"), []byte("partial"), 0o600))
		at, err := root.SetAside("f", ".part")
		must(t, err)
		if at != filepath.Join(target, "f.part") {
			t.Errorf("set aside at %q", at)
		}
		// A file of the new name is never replaced: the partial one goes.
		must(t, os.WriteFile(filepath.Join(target, "g"), []byte("partial"), 0o600))
		must(t, os.WriteFile(filepath.Join(target, "g.part"), []byte("real"), 0o600))
		at, err = root.SetAside("g", ".part")
		must(t, err)
		if b, _ := os.ReadFile(filepath.Join(target, "g.part")); at != "" || string(b) != "real" {
			t.Errorf("set aside at %q over a real file (now %q)", at, b)
		}
		if _, err := os.Lstat(filepath.Join(target, "g")); !os.IsNotExist(err) {
			t.Errorf("partial file left under its name: %v", err)
		}
	})
}
