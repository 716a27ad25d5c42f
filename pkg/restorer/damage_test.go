//go:build linux

package restorer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// damage breaks a repository in one way; it returns what it damaged.
// tree is the snapshot's root tree, src the directory it was made of.
type damage func(t *testing.T, r *repo.Repository, repoDir string, tree format.ID, src string) string

func packPath(repoDir string, id format.ID) string {
	return filepath.Join(repoDir, "data", id.String()[:2], id.String())
}

// firstPack returns the first pack (in index order) holding a blob of type
// bt that passes keep.
func firstPack(r *repo.Repository, bt format.BlobType, keep func(blobs []format.IndexBlob) bool) (format.ID, []format.IndexBlob) {
	var found format.ID
	var in []format.IndexBlob
	r.Index().EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		if blobs[0].Type == bt && keep(blobs) {
			found, in = id, blobs
			return false
		}
		return true
	})
	return found, in
}

func flipBytes(t *testing.T, p string, offsets ...uint32) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range offsets {
		b[off] ^= 0x40
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var damages = map[string]damage{
	"data pack deleted": func(t *testing.T, r *repo.Repository, repoDir string, _ format.ID, _ string) string {
		id, _ := firstPack(r, format.DataBlob, func(b []format.IndexBlob) bool { return len(b) > 1 })
		if err := os.Remove(packPath(repoDir, id)); err != nil {
			t.Fatal(err)
		}
		return "pack " + id.Str()
	},
	"data pack flipped": func(t *testing.T, r *repo.Repository, repoDir string, _ format.ID, _ string) string {
		id, blobs := firstPack(r, format.DataBlob, func(b []format.IndexBlob) bool { return len(b) > 1 })
		flipBytes(t, packPath(repoDir, id), blobs[0].Offset+20, blobs[len(blobs)-1].Offset+20)
		return "blobs " + blobs[0].ID.Str() + " and " + blobs[len(blobs)-1].ID.Str()
	},
	"tree blob flipped": func(t *testing.T, r *repo.Repository, repoDir string, tree format.ID, src string) string {
		id := subtree(t, r, tree, filepath.Join(src, "deep/a/b/c"))
		loc, ok := r.Index().Lookup(format.BlobHandle{ID: id, Type: format.TreeBlob})
		if !ok {
			t.Fatal("tree not indexed")
		}
		flipBytes(t, packPath(repoDir, loc.PackID), loc.Offset+20)
		return "tree " + id.Str()
	},
}

// subtree returns the tree ID of the directory at path p below tree.
func subtree(t *testing.T, r *repo.Repository, tree format.ID, p string) format.ID {
	t.Helper()
	for name := range strings.SplitSeq(strings.Trim(p, "/"), "/") {
		tr, err := r.LoadTree(t.Context(), tree)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(tr.Nodes, func(n *format.Node) bool { return n.Name == name })
		if i < 0 || tr.Nodes[i].Subtree == nil {
			t.Fatalf("no directory %s in %s", name, p)
		}
		tree = *tr.Nodes[i].Subtree
	}
	return tree
}

// TestRestoreAroundDamage: with a pack gone, a data pack or a tree blob
// damaged, the restore restores everything else, names every entry it
// could not restore, never leaves wrong content under a real name, and
// still finishes directory modes and hardlinks.
func TestRestoreAroundDamage(t *testing.T) {
	src := t.TempDir()
	m := fixture.Build(t, src)
	for name, dmg := range damages {
		t.Run(name, func(t *testing.T) {
			r, tree, repoDir := backupWith(t, src, repo.Options{PackSize: 4 << 20})
			what := dmg(t, r, repoDir, tree, src)
			dst := t.TempDir()
			failed := map[string]bool{}
			st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Failed: func(f restorer.Failure) {
				failed[f.Path] = true
				t.Logf("reported: %v", f)
			}})
			if !errors.Is(err, restorer.ErrIncomplete) {
				t.Fatalf("restore with %s damaged: %v, want ErrIncomplete", what, err)
			}
			if len(failed) == 0 || st.Failed != len(failed) {
				t.Fatalf("%d failures reported, stats say %d", len(failed), st.Failed)
			}
			named := func(rel string) bool {
				for p := filepath.Join(src, rel); p != "/"; p = filepath.Dir(p) {
					if failed[p] {
						return true
					}
				}
				return false
			}
			restored := 0
			for _, rel := range m.Files {
				want, _ := os.ReadFile(filepath.Join(src, rel))
				got, err := os.ReadFile(filepath.Join(dst, src, rel))
				switch {
				case err == nil && !bytes.Equal(got, want):
					t.Errorf("%s: wrong content under its real name", rel)
				case err == nil:
					restored++
					wi, _ := os.Lstat(filepath.Join(src, rel))
					gi, _ := os.Lstat(filepath.Join(dst, src, rel))
					if wi.Mode() != gi.Mode() {
						t.Errorf("%s: mode %v, want %v", rel, gi.Mode(), wi.Mode())
					}
				case !named(rel):
					t.Errorf("%s: not restored and not named (%v)", rel, err)
				}
			}
			if restored == 0 || restored == len(m.Files) {
				t.Errorf("restored %d of %d files", restored, len(m.Files))
			}
			checkDirsAndPartials(t, src, filepath.Join(dst, src), failed)
		})
	}
}

// checkDirsAndPartials: every directory that was restored has its mode,
// and every partial file belongs to a reported failure.
func checkDirsAndPartials(t *testing.T, src, got string, failed map[string]bool) {
	t.Helper()
	filepath.Walk(got, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		rel, _ := filepath.Rel(got, p)
		if base, ok := strings.CutSuffix(rel, restorer.PartialSuffix); ok {
			if !failed[filepath.Join(src, base)] {
				t.Errorf("partial file %s of an entry not reported", rel)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("partial file %s has mode %v, want 0600", rel, fi.Mode())
			}
			return nil
		}
		if fi.IsDir() && !failed[filepath.Join(src, rel)] {
			if wi, err := os.Lstat(filepath.Join(src, rel)); err == nil && wi.Mode() != fi.Mode() {
				t.Errorf("directory %s: mode %v, want %v", rel, fi.Mode(), wi.Mode())
			}
		}
		return nil
	})
}
