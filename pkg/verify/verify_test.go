package verify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
	"github.com/drydock-backup/drydock/pkg/verify"
)

// backup saves src into a new repository of the given version and returns
// it with its directory and the root tree.
func backup(t *testing.T, version uint, src string) (*repo.Repository, string, format.ID) {
	t.Helper()
	r, dir := repotest.New(t, version, repo.Options{})
	var res archiver.Result
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, r, s, []string{src}, nil, archiver.Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	return r, dir, res.Tree
}

// assertEmpty fails unless dir exists and holds nothing.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("scratch directory holds %v after the verification", entries)
	}
}

// contentBlobs counts the content list entries of all files below tree,
// read straight from the repository.
func contentBlobs(t *testing.T, r *repo.Repository, tree format.ID) int {
	t.Helper()
	tr, err := r.LoadTree(t.Context(), tree)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, node := range tr.Nodes {
		switch node.Type {
		case format.NodeFile:
			n += len(node.Content)
		case format.NodeDir:
			n += contentBlobs(t, r, *node.Subtree)
		}
	}
	return n
}

// TestRestoreTestFixture verifies the fixture (every entry type, odd
// names, modes, hardlinks) in a version 1 repository (uncompressed blobs:
// plaintext length from the stored length) and a version 2 one
// (compressed: from uncompressed_length), and checks every count.
func TestRestoreTestFixture(t *testing.T) {
	src := t.TempDir()
	m := fixture.Build(t, src)
	var bytes uint64
	for _, f := range m.Files {
		fi, err := os.Lstat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		bytes += uint64(fi.Size())
	}
	// The root tree holds the components leading to src, src included.
	dirs := len(m.Dirs) + len(strings.Split(strings.Trim(src, "/"), "/"))
	for _, version := range []uint{1, 2} {
		t.Run(map[uint]string{1: "v1", 2: "v2"}[version], func(t *testing.T) {
			r, _, tree := backup(t, version, src)
			scratch := t.TempDir()
			rep, err := verify.RestoreTest(t.Context(), r, tree, scratch, verify.Options{})
			if err != nil {
				t.Fatalf("%v\n%+v", err, rep.Mismatches)
			}
			want := verify.Report{
				Tree: tree, Files: len(m.Files), Dirs: dirs, Symlinks: len(m.Symlinks), Other: len(m.Fifos),
				Bytes: bytes, Blobs: contentBlobs(t, r, tree),
			}
			rep.Restore, rep.Compare = 0, 0
			if rep.Tree != want.Tree || rep.Files != want.Files || rep.Dirs != want.Dirs || rep.Symlinks != want.Symlinks ||
				rep.Other != want.Other || rep.Bytes != want.Bytes || rep.Blobs != want.Blobs || !rep.OK() || rep.Mismatches != nil {
				t.Errorf("report %+v\nwant   %+v", rep, want)
			}
			assertEmpty(t, scratch)
		})
	}
}

// TestRestoreTestCorruptPack flips a byte in the data pack: the restore
// fails on the damaged blob's MAC, RestoreTest says so (not a mismatch),
// and the scratch directory is left empty.
func TestRestoreTestCorruptPack(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, dir, tree := backup(t, 2, src)
	p := largestFile(t, filepath.Join(dir, "data"))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x55
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	_, err = verify.RestoreTest(t.Context(), r, tree, scratch, verify.Options{})
	var be *pack.BlobError
	if !errors.As(err, &be) || !errors.Is(err, crypto.ErrUnauthenticated) || errors.Is(err, verify.ErrMismatch) {
		t.Fatalf("err %v, want a restore failure on a blob's MAC", err)
	}
	if !strings.Contains(err.Error(), "restore tree "+tree.Str()) || !strings.Contains(err.Error(), be.Blob.ID.Str()) {
		t.Errorf("error %q does not name the tree and the damaged blob", err)
	}
	assertEmpty(t, scratch)
}

// TestRestoreTestCancelled: a cancelled verification stops and still
// removes its scratch restore.
func TestRestoreTestCancelled(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, _, tree := backup(t, 2, src)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	scratch := filepath.Join(t.TempDir(), "not", "yet")
	_, err := verify.RestoreTest(ctx, r, tree, scratch, verify.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	assertEmpty(t, scratch)
}

// largestFile returns the largest file below dir: the data pack, not the
// small tree pack.
func largestFile(t *testing.T, dir string) string {
	t.Helper()
	var found string
	var size int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Size() > size {
			found, size = p, fi.Size()
		}
		return nil
	})
	if err != nil || found == "" {
		t.Fatalf("no pack below %s: %v", dir, err)
	}
	if err := os.Chmod(found, 0o600); err != nil {
		t.Fatal(err)
	}
	return found
}
