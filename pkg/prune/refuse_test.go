package prune_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
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
		}, prune.ErrUsedPackSizeMismatch},
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

// TestPruneRefusesDamagedDuplicate: tree T is stored twice, in P1 beside
// a used tree U and alone in P2, and P1's copy is damaged. Reading T
// succeeds from P2, but prune keeps one copy of a duplicate by pack, and
// would keep P1 and delete P2: it must refuse instead, changing nothing.
func TestPruneRefusesDamagedDuplicate(t *testing.T) {
	b := newBuilder(t, format.Version2)
	da, db := b.blobs(2, 4096), b.blobs(2, 4096)
	b.pack(format.DataBlob, true, append(da, db...)...)
	fa, fb := file{name: "a", chunks: da}, file{name: "b", chunks: db}
	treeT, treeU := b.tree(fa), b.tree(fb)
	p1 := b.pack(format.TreeBlob, true, treeT, treeU)
	b.pack(format.TreeBlob, true, treeT)
	b.writeIndex()
	b.snapshot(treeT, fa)
	b.snapshot(treeU, fb)
	modifyPack(t, b, p1, func(p []byte) []byte { p[20] ^= 0xff; return p })
	before := listing(t, b.dir)
	_, _, err := runPrune(t.Context(), openRepo(t, b.dir, nil), prune.Options{})
	if !errors.Is(err, prune.ErrMissingData) {
		t.Fatalf("prune with a damaged copy of a duplicated tree: %v, want ErrMissingData", err)
	}
	assertUnchanged(t, b.dir, before)
}

// TestPruneStopsWhenLockIsGone: our exclusive lock is removed while prune
// runs (restic unlock on another host, after a long suspend here): prune
// stops before deleting anything, and the repository stays complete.
func TestPruneStopsWhenLockIsGone(t *testing.T) {
	b := newBuilder(t, format.Version2)
	used, unused := b.blobs(3, 4096), b.blobs(3, 4096)
	files := []file{{name: "a", chunks: used}}
	tree := b.tree(files...)
	b.pack(format.DataBlob, true, used...)
	b.pack(format.DataBlob, true, unused...)
	b.pack(format.TreeBlob, true, tree)
	b.writeIndex()
	b.snapshot(tree, files...)
	before := packs(t, b.dir)

	r := openRepo(t, b.dir, nil)
	err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, func(lctx context.Context, l *repo.Lock) error {
		p, err := prune.NewPlan(lctx, r, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
		if err != nil {
			t.Fatal(err)
		}
		locks, err := r.List(t.Context(), backend.LockFile)
		if err != nil || len(locks) != 1 {
			t.Fatalf("locks %v, %v", locks, err)
		}
		if err := r.Backend().Remove(t.Context(), backend.Handle{Type: backend.LockFile, Name: locks[0].String()}); err != nil {
			t.Fatal(err)
		}
		_, err = p.Execute(lctx, l)
		return err
	})
	if !errors.Is(err, repo.ErrLockGone) {
		t.Fatalf("execute without our lock: %v, want ErrLockGone", err)
	}
	after := packs(t, b.dir)
	for id := range before {
		if !after[id] {
			t.Errorf("pack %v deleted although the lock was gone", id.Str())
		}
	}
	if out, err := restic(t, b.dir, "check"); err != nil {
		t.Errorf("restic check: %v\n%s", err, out)
	}
}

// TestPruneNamesEveryDamagedTree: two snapshots whose trees are missing
// are both named in one error; a cancelled run is an error of the run,
// not a report of missing data.
func TestPruneNamesEveryDamagedTree(t *testing.T) {
	b := newBuilder(t, format.Version2)
	data := b.blobs(2, 4096)
	b.pack(format.DataBlob, true, data...)
	fa, fb := file{name: "a", chunks: data[:1]}, file{name: "b", chunks: data[1:]}
	treeA, treeB := b.tree(fa), b.tree(fb) // never packed: missing
	b.writeIndex()
	b.snapshot(treeA, fa)
	b.snapshot(treeB, fb)
	_, _, err := runPrune(t.Context(), openRepo(t, b.dir, nil), prune.Options{})
	if !errors.Is(err, prune.ErrMissingData) {
		t.Fatalf("prune with two missing trees: %v, want ErrMissingData", err)
	}
	for _, tree := range [][]byte{treeA, treeB} {
		if id := format.Hash(tree).Str(); !strings.Contains(err.Error(), id) {
			t.Errorf("error does not name tree %s:\n%v", id, err)
		}
	}
	if !strings.Contains(err.Error(), "2 damaged or missing trees") {
		t.Errorf("error does not count the trees:\n%v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = runPrune(ctx, openRepo(t, b.dir, nil), prune.Options{})
	if err == nil || errors.Is(err, prune.ErrMissingData) {
		t.Errorf("cancelled prune: %v, want an error that is not ErrMissingData", err)
	}
}
