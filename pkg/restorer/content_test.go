package restorer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = src.Read(b)
	return b
}

// backupWith saves src into a repository with small packs, so that files
// spread over many packs and packs hold pieces of many files.
func backupWith(t *testing.T, src string, opts repo.Options) (*repo.Repository, format.ID, string) {
	t.Helper()
	r, dir := repotest.New(t, 0, opts)
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
	return r, res.Tree, dir
}

// TestRestorePackOrder: content that is scattered over packs, repeated
// inside a file, shared by files, and spread so that more files are in
// progress than may stay open, comes back byte for byte.
func TestRestorePackOrder(t *testing.T) {
	src := t.TempDir()
	want := map[string][]byte{}
	put := func(name string, data []byte) {
		want[name] = data
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	block := randomBytes(1, 3<<20)
	put("repeated", bytes.Repeat(block, 4))                                  // the same blobs at several offsets
	put("big", randomBytes(2, 24<<20))                                       // many blobs over many packs
	put("shares-big", append(randomBytes(3, 1<<20), want["big"][:8<<20]...)) // blobs of another file
	for i := range 40 {
		// Two chunks each (min chunk 512 KiB), their blobs often in
		// different packs: with at most 2 files kept open, files are closed
		// half done and opened again.
		put(fmt.Sprintf("pair%03d", i), randomBytes(uint64(100+i), 1200<<10))
	}
	put("empty", nil)
	r, tree, _ := backupWith(t, src, repo.Options{PackSize: 4 << 20})
	if n := r.Index().PackCount(); n < 10 {
		t.Fatalf("only %d packs: the test wants content spread over many", n)
	}
	defer restorer.SetMaxOpen(2)()
	dst := t.TempDir()
	st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Files: 3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != len(want) {
		t.Errorf("restored %d files, want %d", st.Files, len(want))
	}
	var total uint64
	for name, data := range want {
		total += uint64(len(data))
		got, err := os.ReadFile(filepath.Join(dst, src, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: content differs (%d bytes, want %d)", name, len(got), len(data))
		}
	}
	if st.Bytes != total {
		t.Errorf("stats say %d bytes, want %d", st.Bytes, total)
	}
}

// TestRestoreDamagedPack: a blob that fails authentication fails the
// restore with an error naming it; nothing is left open.
func TestRestoreDamagedPack(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), randomBytes(9, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	r, tree, repoDir := backupWith(t, src, repo.Options{})
	var damaged format.ID
	r.Index().EachPack(func(packID format.ID, blobs []format.IndexBlob) bool {
		if blobs[0].Type != format.DataBlob {
			return true
		}
		damaged = blobs[0].ID
		p := filepath.Join(repoDir, "data", packID.String()[:2], packID.String())
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[blobs[0].Offset+40] ^= 1
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return false
	})
	_, err := restorer.Restore(t.Context(), r, tree, t.TempDir(), restorer.Options{})
	if err == nil || !strings.Contains(err.Error(), damaged.Str()) {
		t.Fatalf("restore of a damaged blob: %v, want an error naming blob %s", err, damaged.Str())
	}
}

// TestRestoreRefusesBadNames: a tree whose entry is named ".." (or holds
// a slash) must not make the restore write outside its target.
func TestRestoreRefusesBadNames(t *testing.T) {
	for _, name := range []string{"..", ".", "", "a/b"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			r, _ := repotest.New(t, 0, repo.Options{})
			raw := fmt.Sprintf(`{"nodes":[{"name":%q,"type":"file","mode":420,"mtime":"2026-01-01T00:00:00Z","atime":"2026-01-01T00:00:00Z","ctime":"2026-01-01T00:00:00Z","uid":0,"gid":0,"size":0,"content":[]}]}`+"\n", name)
			var id format.ID
			_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
				var err error
				id, _, err = s.SaveBlob(ctx, format.TreeBlob, []byte(raw))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.LoadIndex(t.Context()); err != nil {
				t.Fatal(err)
			}
			parent := t.TempDir()
			dst := filepath.Join(parent, "target")
			_, err = restorer.Restore(t.Context(), r, id, dst, restorer.Options{})
			if !errors.Is(err, format.ErrInvalidName) {
				t.Fatalf("restore of a tree with name %q: %v, want ErrInvalidName", name, err)
			}
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 {
				t.Errorf("restore wrote beside its target: %v", entries)
			}
		})
	}
}
