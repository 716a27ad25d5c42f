package cache_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/cache"
	"github.com/drydock-backup/drydock/pkg/backend/local"
)

// repoID is a repository ID for the tests' caches.
const repoID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// counting counts the loads that reach the real backend it wraps, by
// file type: what the cache must spare.
type counting struct {
	backend.Backend
	mu    sync.Mutex
	loads map[backend.FileType]int
}

func (c *counting) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	c.mu.Lock()
	c.loads[h.Type]++
	c.mu.Unlock()
	return c.Backend.Load(ctx, h, length, offset, fn)
}

func (c *counting) count(t backend.FileType) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loads[t]
}

// setup is a local repository directory behind a counting wrapper, and a
// cache in front of it.
type setup struct {
	repoDir, base string
	real          *counting
	be            *cache.Backend
	dir           *cache.Dir
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{repoDir: t.TempDir(), base: filepath.Join(t.TempDir(), "cache")}
	lb, err := local.Create(t.Context(), s.repoDir)
	if err != nil {
		t.Fatal(err)
	}
	s.real = &counting{Backend: lb, loads: map[backend.FileType]int{}}
	s.be = s.open(t)
	return s
}

// open returns another cache in front of the same repository and cache
// directory, as a second process would have.
func (s *setup) open(t *testing.T) *cache.Backend {
	t.Helper()
	dir, err := cache.Open(s.base, repoID)
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	return cache.New(s.real, dir, nil)
}

// cached is the path of h in the cache.
func (s *setup) cached(h backend.Handle) string {
	return filepath.Join(s.base, repoID, filepath.FromSlash(backend.Path(h)))
}

func mustLoad(t *testing.T, be backend.Backend, h backend.Handle, length int, offset int64, want []byte) {
	t.Helper()
	got, err := backendtest.LoadAll(t.Context(), be, h, length, offset)
	if err != nil {
		t.Fatalf("load %v: %v", h, err)
	}
	if string(got) != string(want) {
		t.Fatalf("load %v: got %d bytes, not the %d saved", h, len(got), len(want))
	}
}

// The decorator keeps the backend contract, over a real local backend.
func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Instance {
		s := newSetup(t)
		return backendtest.Instance{Backend: s.be}
	})
}

// TestSecondLoadFromCache: index and snapshot files are read from the
// backend once, whether loaded first or saved through the cache; other
// files always come from the backend.
func TestSecondLoadFromCache(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ft        backend.FileType
		viaCache  bool // saved through the cache (else by another writer)
		wantLoads int  // of two loads, those reaching the backend
	}{
		{"index", backend.IndexFile, false, 1},
		{"snapshot", backend.SnapshotFile, false, 1},
		{"saved index", backend.IndexFile, true, 0},
		{"saved snapshot", backend.SnapshotFile, true, 0},
		{"key", backend.KeyFile, false, 2},
		{"lock", backend.LockFile, false, 2},
		{"data pack", backend.PackFile, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t)
			data, _ := backendtest.RandomData(t, 5000)
			var h backend.Handle
			if tc.viaCache {
				h = backendtest.Save(t, s.be, tc.ft, data)
			} else {
				h = backendtest.Save(t, s.real, tc.ft, data)
			}
			mustLoad(t, s.be, h, 0, 0, data)
			mustLoad(t, s.open(t), h, 100, 4000, data[4000:4100])
			if got := s.real.count(tc.ft); got != tc.wantLoads {
				t.Errorf("backend loads = %d, want %d", got, tc.wantLoads)
			}
		})
	}
}

// TestDamagedFileRefetched: a cached file that does not match its name
// (damaged, or cut short) is removed and loaded from the backend again,
// and the cache then holds the right content.
func TestDamagedFileRefetched(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[10] ^= 1; return b }},
		{"cut short", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t)
			data, _ := backendtest.RandomData(t, 3000)
			h := backendtest.Save(t, s.be, backend.SnapshotFile, data)
			if err := os.WriteFile(s.cached(h), tc.damage(append([]byte(nil), data...)), 0o600); err != nil {
				t.Fatal(err)
			}
			mustLoad(t, s.be, h, 0, 0, data)
			if got := s.real.count(backend.SnapshotFile); got != 1 {
				t.Errorf("backend loads = %d, want 1 (the refetch)", got)
			}
			if got, _ := os.ReadFile(s.cached(h)); string(got) != string(data) {
				t.Errorf("the cache holds %d bytes after the refetch, want the %d saved", len(got), len(data))
			}
		})
	}
}

// TestListDropsRemoved: a file removed from the repository by another
// process disappears from the cache when the repository is listed; one
// removed through the cache at once.
func TestListDropsRemoved(t *testing.T) {
	s := newSetup(t)
	var hs []backend.Handle
	for range 3 {
		data, _ := backendtest.RandomData(t, 100)
		hs = append(hs, backendtest.Save(t, s.be, backend.SnapshotFile, data))
	}
	old := time.Now().Add(-time.Minute) // cached before the listing
	for _, h := range hs {
		must(t, os.Chtimes(s.cached(h), old, old))
	}
	must(t, s.real.Remove(t.Context(), hs[0])) // another process's forget
	must(t, s.be.Remove(t.Context(), hs[1]))
	if _, err := os.Stat(s.cached(hs[1])); !os.IsNotExist(err) {
		t.Errorf("removed through the cache, still cached: %v", err)
	}
	if _, err := os.Stat(s.cached(hs[0])); err != nil {
		t.Fatalf("cached before the listing: %v", err)
	}
	names := backendtest.ListNames(t, s.be, backend.SnapshotFile)
	if len(names) != 1 {
		t.Fatalf("listed %v, want one snapshot", names)
	}
	if _, err := os.Stat(s.cached(hs[0])); !os.IsNotExist(err) {
		t.Errorf("removed by another process and listed, still cached: %v", err)
	}
	if _, err := os.Stat(s.cached(hs[2])); err != nil {
		t.Errorf("the listed snapshot left the cache: %v", err)
	}
}

// TestListKeepsNewer: a file another process cached after our listing
// began is kept, though our listing did not see it.
func TestListKeepsNewer(t *testing.T) {
	s := newSetup(t)
	data, _ := backendtest.RandomData(t, 100)
	h := backendtest.Save(t, s.be, backend.IndexFile, data)
	must(t, s.real.Remove(t.Context(), h)) // as if our listing ran before the save
	future := time.Now().Add(time.Minute)
	must(t, os.Chtimes(s.cached(h), future, future))
	backendtest.ListNames(t, s.be, backend.IndexFile)
	if _, err := os.Stat(s.cached(h)); err != nil {
		t.Errorf("a file cached during the listing was removed: %v", err)
	}
}

// TestTreePacks: the packs named by CachePacks are cached whole on their
// first load and served from the cache after, also to a second process;
// a later CachePacks without them removes them.
func TestTreePacks(t *testing.T) {
	s := newSetup(t)
	tree, _ := backendtest.RandomData(t, 20000)
	data, _ := backendtest.RandomData(t, 20000)
	th := backendtest.Save(t, s.real, backend.PackFile, tree)
	dh := backendtest.Save(t, s.real, backend.PackFile, data)
	mustLoad(t, s.be, th, 100, 0, tree[:100]) // before the index: not cached
	s.be.CachePacks(map[string]struct{}{th.Name: {}})
	for i := range 5 {
		mustLoad(t, s.be, th, 1000, int64(i*1000), tree[i*1000:(i+1)*1000])
		mustLoad(t, s.be, dh, 1000, int64(i*1000), data[i*1000:(i+1)*1000])
	}
	second := s.open(t)
	second.CachePacks(map[string]struct{}{th.Name: {}})
	mustLoad(t, second, th, 0, 19000, tree[19000:])
	if got := s.real.count(backend.PackFile); got != 1+1+5 {
		t.Errorf("backend pack loads = %d, want 7 (one before the index, one to cache the tree pack, 5 of the data pack)", got)
	}
	if err := s.be.Load(t.Context(), th, 10, 19995, func(io.Reader) error { return nil }); !errors.Is(err, backend.ErrRange) {
		t.Errorf("a range past the end of a cached pack: %v, want ErrRange", err)
	}
	s.be.CachePacks(map[string]struct{}{})
	if _, err := os.Stat(s.cached(th)); !os.IsNotExist(err) {
		t.Errorf("a pack the index no longer names stays cached: %v", err)
	}
}

// TestDamagedPackRefetched: a cached tree pack is checked the first time
// a process opens it.
func TestDamagedPackRefetched(t *testing.T) {
	s := newSetup(t)
	tree, _ := backendtest.RandomData(t, 5000)
	th := backendtest.Save(t, s.real, backend.PackFile, tree)
	s.be.CachePacks(map[string]struct{}{th.Name: {}})
	mustLoad(t, s.be, th, 0, 0, tree)
	bad := append([]byte(nil), tree...)
	bad[4999] ^= 0xff
	must(t, os.WriteFile(s.cached(th), bad, 0o600))
	second := s.open(t)
	second.CachePacks(map[string]struct{}{th.Name: {}})
	mustLoad(t, second, th, 10, 4990, tree[4990:])
	if got := s.real.count(backend.PackFile); got != 2 {
		t.Errorf("backend pack loads = %d, want 2", got)
	}
}

// TestConcurrentProcesses: caches of several processes sharing a
// directory load the same files at once; every load is right and no
// temporary file is left.
func TestConcurrentProcesses(t *testing.T) {
	s := newSetup(t)
	var hs []backend.Handle
	var contents [][]byte
	for range 8 {
		data, _ := backendtest.RandomData(t, 50000)
		hs = append(hs, backendtest.Save(t, s.real, backend.IndexFile, data))
		contents = append(contents, data)
	}
	pack, _ := backendtest.RandomData(t, 200000)
	ph := backendtest.Save(t, s.real, backend.PackFile, pack)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range 4 {
		be := s.open(t)
		be.CachePacks(map[string]struct{}{ph.Name: {}})
		for i, h := range hs {
			wg.Go(func() {
				for range 3 {
					got, err := backendtest.LoadAll(context.Background(), be, h, 0, 0)
					if err != nil || string(got) != string(contents[i]) {
						failed.Store(true)
					}
					got, err = backendtest.LoadAll(context.Background(), be, ph, 1000, int64(i*1000))
					if err != nil || string(got) != string(pack[i*1000:(i+1)*1000]) {
						failed.Store(true)
					}
				}
			})
		}
	}
	wg.Wait()
	if failed.Load() {
		t.Fatal("a concurrent load failed or returned wrong content")
	}
	err := filepath.WalkDir(s.base, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return err
	})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
