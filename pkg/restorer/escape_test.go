//go:build linux

package restorer_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// TestRestoreNeverEscapesTarget restores crafted snapshots that try to
// reach a sentinel directory through symlinks of the same name as a file
// or directory, with absolute and relative targets, nested: the sentinel
// must stay exactly as it was, the duplicates be named, the rest restored.
func TestRestoreNeverEscapesTarget(t *testing.T) {
	type tc struct {
		name  string
		build func(c *repotest.Craft, sentinel string) *format.ID
	}
	cases := []tc{
		{"symlink then setuid file, absolute", func(c *repotest.Craft, s string) *format.ID {
			return c.Tree(c.Symlink("v", s+"/victim"), c.File("v", os.ModeSetuid|0o777, "pwned"), c.File("w", 0o644, "kept"))
		}},
		{"symlink then file, relative", func(c *repotest.Craft, s string) *format.ID {
			return c.Tree(c.Symlink("v", "../sentinel/victim"), c.File("v", 0o666, "pwned"), c.File("w", 0o644, "kept"))
		}},
		{"symlink then dir, absolute", func(c *repotest.Craft, s string) *format.ID {
			sub := c.Tree(c.File("victim", 0o777, "pwned"), c.File("new", 0o644, "planted"))
			return c.Tree(c.Symlink("v", s), c.Dir("v", 0o777, sub), c.File("w", 0o644, "kept"))
		}},
		{"dir then symlink, relative", func(c *repotest.Craft, s string) *format.ID {
			sub := c.Tree(c.File("deep", 0o777, "pwned"))
			return c.Tree(c.Dir("v", 0o777, sub), c.Symlink("v", "../sentinel/inner"), c.File("w", 0o644, "kept"))
		}},
		{"nested, relative", func(c *repotest.Craft, s string) *format.ID {
			deepest := c.Tree(c.File("victim", 0o4755, "pwned"))
			mid := c.Tree(c.Symlink("b", "../../sentinel"), c.Dir("b", 0o777, deepest))
			return c.Tree(c.Dir("a", 0o755, mid), c.File("w", 0o644, "kept"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			s := fixture.NewSentinel(t, filepath.Join(parent, "sentinel"))
			r, _ := repotest.New(t, 0, repo.Options{})
			root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID { return tc.build(c, s.Dir) })
			target := filepath.Join(parent, "target")
			var reported []restorer.Failure
			_, err := restorer.Restore(t.Context(), r, root, target, restorer.Options{Failed: func(f restorer.Failure) { reported = append(reported, f) }})
			if !errors.Is(err, restorer.ErrIncomplete) || !errors.Is(err, format.ErrDuplicateName) {
				t.Errorf("restore: %v, want an incomplete restore naming the duplicate", err)
			}
			if len(reported) != 1 {
				t.Errorf("reported %v, want the one duplicate name", reported)
			}
			s.Check(t)
			if b, err := os.ReadFile(filepath.Join(target, "w")); err != nil || string(b) != "kept" {
				t.Errorf("the valid entry beside the duplicates: %q, %v", b, err)
			}
		})
	}
}

// TestRestoreOverExistingSymlinks restores, into a target that already
// holds symlinks pointing outside (as an earlier restore of another
// snapshot leaves them), files and directories of the same names: they
// replace the symlinks and nothing outside changes.
func TestRestoreOverExistingSymlinks(t *testing.T) {
	parent := t.TempDir()
	s := fixture.NewSentinel(t, filepath.Join(parent, "sentinel"))
	r, _ := repotest.New(t, 0, repo.Options{})
	first := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		sub := c.Tree(c.Symlink("up", "../../sentinel"))
		return c.Tree(c.Symlink("f", s.Dir+"/victim"), c.Symlink("d", s.Dir), c.Symlink("rel", "../sentinel/inner"), c.Dir("sub", 0o755, sub))
	})
	second := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		planted := c.Tree(c.File("victim", 0o4777, "pwned"), c.File("new", 0o644, "planted"))
		up := c.Tree(c.File("deep", 0o777, "pwned"))
		sub := c.Tree(c.Dir("up", 0o777, up))
		return c.Tree(c.File("f", os.ModeSetuid|0o777, "pwned"), c.Dir("d", 0o777, planted), c.File("rel", 0o666, "pwned"), c.Dir("sub", 0o755, sub))
	})
	target := filepath.Join(parent, "target")
	for i, root := range []format.ID{first, second} {
		if _, err := restorer.Restore(t.Context(), r, root, target, restorer.Options{}); err != nil {
			t.Fatalf("restore %d: %v", i+1, err)
		}
	}
	s.Check(t)
	for p, want := range map[string]string{"f": "pwned", "d/victim": "pwned", "d/new": "planted", "rel": "pwned", "sub/up/deep": "pwned"} {
		fi, err := os.Lstat(filepath.Join(target, p))
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v, %v: want the second snapshot's file", p, fi, err)
			continue
		}
		if b, _ := os.ReadFile(filepath.Join(target, p)); string(b) != want {
			t.Errorf("%s holds %q, want %q", p, b, want)
		}
	}
}
