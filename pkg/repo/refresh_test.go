package repo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// warmRun is one job of a long-running process on an open Repository:
// lock, refresh, back up src with parent, save the snapshot, unlock.
func warmRun(t *testing.T, r *repo.Repository, src string, parent *format.ID) (format.ID, format.ID, repo.RefreshStats, repo.SaverStats) {
	t.Helper()
	var sn, tree format.ID
	var st repo.RefreshStats
	var sst repo.SaverStats
	err := r.WithLock(t.Context(), repo.LockMode{}, func(ctx context.Context, _ *repo.Lock) error {
		var err error
		if st, err = r.Refresh(ctx); err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		var res archiver.Result
		sst, err = r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
			var err error
			res, err = archiver.Save(ctx, r, s, []string{src}, parent, archiver.Options{})
			return err
		})
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		tree = res.Tree
		sn, err = r.SaveSnapshot(ctx, &format.Snapshot{Time: time.Now(), Tree: &res.Tree, Paths: []string{src}, Hostname: "a"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sn, tree, st, sst
}

// packSet is an index as pack ID → its blobs, sorted, for comparing.
func packSet(r *repo.Repository) map[format.ID][]format.IndexBlob {
	m := map[format.ID][]format.IndexBlob{}
	r.Index().EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		b := slices.Clone(blobs)
		slices.SortFunc(b, func(x, y format.IndexBlob) int { return slices.Compare(x.ID[:], y.ID[:]) })
		m[id] = b
		return true
	})
	return m
}

// assertFreshIndex checks that r's index is the one a fresh open builds.
func assertFreshIndex(t *testing.T, r *repo.Repository, dir string) {
	t.Helper()
	f, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, want := packSet(r), packSet(f)
	if len(got) != len(want) {
		t.Fatalf("refreshed index has %d packs, a fresh open %d", len(got), len(want))
	}
	for id, wb := range want {
		if !slices.Equal(got[id], wb) {
			t.Fatalf("pack %v: refreshed index differs from a fresh open", id.Str())
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRefreshSeesOtherHostsPrune: host A keeps its Repository open between
// backups; host B forgets A's snapshot and prunes every pack in between.
// A's next backup of the same, unchanged files must not deduplicate
// against its cached index (the blobs are gone): stock restic's
// check --read-data judges the result.
func TestRefreshSeesOtherHostsPrune(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	a, dir := newLocalRepo(t, 2, repo.Options{TreeCache: repo.DefaultTreeCache})
	src := t.TempDir()
	if err := os.Mkdir(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, src, map[string]string{"a": "alpha content", "b": "beta content", "sub/c": "gamma content"})

	sn1, tree1, _, _ := warmRun(t, a, src, nil)
	// No change: nothing new to read; the first run with a parent reads
	// its trees, the next one takes them from the cache.
	snx, treex, _, _ := warmRun(t, a, src, &tree1)
	loads0, _ := a.TreeCounters()
	if loads0 == 0 {
		t.Fatal("a backup with a parent loaded no trees")
	}
	sn2, tree2, st, sst := warmRun(t, a, src, &treex)
	_ = tree2
	if st.FullReload || st.IndexLoaded != 0 {
		t.Fatalf("refresh with no change read index files: %+v", st)
	}
	// src and src/sub come from the cache; only the directories above src
	// may be new trees (the mtime of /tmp changes all the time).
	above := strings.Count(src, "/") + 1
	if loads, hits := a.TreeCounters(); loads-loads0 > uint64(above) || hits < 2 {
		t.Fatalf("no-change backup loaded %d trees from the backend (cache hits %d), want at most %d", loads-loads0, hits, above)
	}
	// Trees above src may change (the mtime of /tmp), data must not.
	if sst.DataBlobs != 0 {
		t.Fatalf("no-change backup stored %d data blobs", sst.DataBlobs)
	}

	// Host B: forget both snapshots, prune everything unused.
	b, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []format.ID{sn1, snx, sn2} {
		if err := b.Backend().Remove(t.Context(), backend.Handle{Type: backend.SnapshotFile, Name: id.String()}); err != nil {
			t.Fatal(err)
		}
	}
	mu, err := prune.ParseMaxUnused("0%")
	if err != nil {
		t.Fatal(err)
	}
	err = b.WithLock(t.Context(), repo.LockMode{Exclusive: true}, func(ctx context.Context, l *repo.Lock) error {
		plan, err := prune.NewPlan(ctx, b, prune.Options{MaxUnused: mu})
		if err != nil {
			return err
		}
		_, err = plan.Execute(ctx, l)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if packs, _ := b.List(t.Context(), backend.PackFile); len(packs) != 0 {
		t.Fatalf("prune left %d packs; the test needs all gone", len(packs))
	}

	// Host A again, same files, parent tree still in its cache.
	_, _, st, sst = warmRun(t, a, src, &tree2)
	if !st.FullReload || st.IndexRemoved == 0 {
		t.Fatalf("refresh after a prune did not reread the index: %+v", st)
	}
	if sst.DataBlobs != 3 {
		t.Fatalf("backup after the prune stored %d data blobs, want 3: it deduplicated against deleted blobs", sst.DataBlobs)
	}
	assertFreshIndex(t, a, dir)
	runRestic(t, bin, dir, "check", "--read-data")
}

// TestRefreshLoadsOnlyNewIndexFiles: another host's backup adds an index
// file; Refresh reads just that one and then deduplicates against it.
func TestRefreshLoadsOnlyNewIndexFiles(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	a, dir := newLocalRepo(t, 2, repo.Options{TreeCache: repo.DefaultTreeCache})
	srcA, srcB := t.TempDir(), t.TempDir()
	writeFiles(t, srcA, map[string]string{"x": "only on host a"})
	writeFiles(t, srcB, map[string]string{"y": "written by host b first"})
	warmRun(t, a, srcA, nil)

	b, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	_, _, st, sst := warmRun(t, b, srcB, nil)
	if !st.FullReload || sst.Packs == 0 {
		t.Fatalf("host b: %+v, %d packs", st, sst.Packs)
	}

	// Host A now backs up the file host B stored: no new data pack.
	writeFiles(t, srcA, map[string]string{"y": "written by host b first"})
	_, _, st, sst = warmRun(t, a, srcA, nil)
	if st.FullReload || st.IndexLoaded != 1 {
		t.Fatalf("refresh should read exactly host b's new index file: %+v", st)
	}
	if sst.DataBlobs != 0 { // "x" and "y" deduplicate
		t.Fatalf("host a stored %d data blobs, want 0", sst.DataBlobs)
	}
	assertFreshIndex(t, a, dir)
	runRestic(t, bin, dir, "check", "--read-data")
}

// TestRefreshRejectsReplacedRepository: a repository created anew at the
// same place is not silently used with the old key and index.
func TestRefreshRejectsReplacedRepository(t *testing.T) {
	a, dir := newLocalRepo(t, 2, repo.Options{})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Init(t.Context(), be, password, repo.InitOptions{KDF: cheapKDF}, repo.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(t.Context()); !errors.Is(err, repo.ErrRepositoryReplaced) {
		t.Fatalf("refresh of a replaced repository: %v, want ErrRepositoryReplaced", err)
	}
}
