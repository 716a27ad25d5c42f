package prune_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/prune"
)

// TestPruneRefuses: when a snapshot refers to data that is missing or
// damaged, or a used pack has the wrong size, prune stops before changing
// anything, like restic.
func TestPruneRefuses(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, b *builder, dataPack, treePack format.ID)
		wantErr error // nil: any error
	}{
		{"data blob not indexed", func(t *testing.T, b *builder, _, _ format.ID) {
			lost := b.blobs(1, 100)
			f := []file{{name: "lost", chunks: lost}}
			tree := b.tree(f...)
			b.pack(format.TreeBlob, true, tree)
			b.writeIndex()
			b.snapshot(tree, f...)
		}, prune.ErrMissingData},
		{"tree not indexed", func(t *testing.T, b *builder, _, _ format.ID) {
			b.snapshot(b.tree(file{name: "x", chunks: b.blobs(1, 10)}))
		}, prune.ErrMissingData},
		{"tree damaged", func(t *testing.T, b *builder, _, treePack format.ID) {
			modifyPack(t, b, treePack, func(p []byte) []byte { p[10] ^= 1; return p })
		}, prune.ErrMissingData},
		{"directory without subtree", func(t *testing.T, b *builder, _, _ format.ID) {
			tree := []byte(`{"nodes":[{"name":"d","type":"dir","mtime":"2026-01-01T00:00:00Z","atime":"2026-01-01T00:00:00Z",` +
				`"ctime":"2026-01-01T00:00:00Z","uid":0,"gid":0,"content":null}]}` + "\n")
			b.pack(format.TreeBlob, true, tree)
			b.writeIndex()
			b.snapshot(tree)
		}, prune.ErrMissingData},
		{"used pack has the wrong size", func(t *testing.T, b *builder, dataPack, _ format.ID) {
			modifyPack(t, b, dataPack, func(p []byte) []byte { return append(p, 0) })
		}, prune.ErrPackSize},
		{"snapshot unreadable", func(t *testing.T, b *builder, _, _ format.ID) {
			data := []byte("not a snapshot")
			h := backend.Handle{Type: backend.SnapshotFile, Name: format.Hash(data).String()}
			if err := b.r.Backend().Save(t.Context(), h, backend.NewByteReader(data)); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(t, format.Version2)
			used, unused := b.blobs(3, 4096), b.blobs(3, 4096)
			files := []file{{name: "a", chunks: used}}
			tree := b.tree(files...)
			dataPack := b.pack(format.DataBlob, true, used...)
			b.pack(format.DataBlob, true, unused...) // something to delete
			treePack := b.pack(format.TreeBlob, true, tree)
			b.writeIndex()
			b.snapshot(tree, files...)
			tc.damage(t, b, dataPack, treePack)
			before := listing(t, b.dir)

			_, _, err := runPrune(t.Context(), openRepo(t, b.dir, nil), prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("prune: %v, want %v", err, tc.wantErr)
			}
			t.Logf("refused: %v", err)
			assertUnchanged(t, b.dir, before)
		})
	}
}

// modifyPack rewrites a pack file in place (local backend files are
// read-only).
func modifyPack(t *testing.T, b *builder, id format.ID, fn func([]byte) []byte) {
	t.Helper()
	p := filepath.Join(b.dir, backend.Path(backend.Handle{Type: backend.PackFile, Name: id.String()}))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, fn(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, b *builder, pack format.ID) {
	t.Helper()
	if err := b.r.Backend().Remove(t.Context(), backend.Handle{Type: backend.PackFile, Name: pack.String()}); err != nil {
		t.Fatal(err)
	}
}

func assertUnchanged(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	if after := listing(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the repository changed:\nbefore %v\nafter  %v", before, after)
	}
}
