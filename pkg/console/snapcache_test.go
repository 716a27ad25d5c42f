package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/resticjson"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// TestSnapshotCache: snapshots read once are not read again (a file
// spoiled on storage after that is still served from memory), a forgotten
// one goes, a new one comes.
func TestSnapshotCache(t *testing.T) {
	f := newFixture(t)
	list := func() []string {
		var ids []string
		for _, sn := range decode[[]resticjson.Snapshot](t, f.get(t, "/api/v1/repositories/default/snapshots", testToken)) {
			ids = append(ids, sn.ID)
		}
		return ids
	}
	if got := list(); len(got) != 2 {
		t.Fatalf("snapshots %v, want 2", got)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "snapshots", f.beta.String()), []byte("spoiled"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 2 || got[1] != f.beta.String() {
		t.Errorf("after spoiling a read snapshot file: %v, want it served from the cache", got)
	}
	if err := os.Remove(filepath.Join(f.dir, "snapshots", f.alpha.String())); err != nil {
		t.Fatal(err)
	}
	next, err := backup.RunPaths(t.Context(), f.r, []string{f.data}, backup.PathOptions{Host: "gamma"})
	if err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 2 || got[0] != f.beta.String() || got[1] != next.ID.String() {
		t.Errorf("after forgetting %s and backing up %s: %v", f.alpha.Str(), next.ID.Str(), got)
	}
}

// listCounter is the real local backend, counting the listings of
// snapshot files.
type listCounter struct {
	*local.Backend
	lists atomic.Int32
}

func (c *listCounter) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	if t == backend.SnapshotFile {
		c.lists.Add(1)
	}
	return c.Backend.List(ctx, t, fn)
}

func (c *listCounter) ListNames(ctx context.Context, t backend.FileType, fn func(string) error) error {
	if t == backend.SnapshotFile {
		c.lists.Add(1)
	}
	return c.Backend.ListNames(ctx, t, fn)
}

// TestSnapshotByFullID: a page reached by a link (a full snapshot ID)
// reads that snapshot alone, even in a console just started: no listing
// of the 10,000 snapshot files a repository may hold. A prefix lists.
func TestSnapshotByFullID(t *testing.T) {
	f := newFixture(t)
	be, err := local.Open(t.Context(), f.dir)
	if err != nil {
		t.Fatal(err)
	}
	counted := &listCounter{Backend: be}
	r, err := repo.Open(t.Context(), counted, repotest.Password, repo.Options{TreeCache: repo.DefaultTreeCache})
	if err != nil {
		t.Fatal(err)
	}
	con, err := New(Options{Repositories: map[string]*repo.Repository{"default": r}, Token: secret.New(testToken)})
	if err != nil {
		t.Fatal(err)
	}
	get := func(ref string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/repositories/default/snapshots/"+ref+"/tree/", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		con.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("tree of %s: %d %s", ref, w.Code, w.Body)
		}
		return int(counted.lists.Swap(0))
	}
	for _, tc := range []struct {
		ref   string
		lists int
	}{
		{f.beta.String(), 0},
		{f.beta.String(), 0},
		{f.alpha.Str(), 1},
		{f.alpha.String(), 0},
	} {
		if n := get(tc.ref); n != tc.lists {
			t.Errorf("tree of %s listed the snapshot files %d times, want %d", tc.ref, n, tc.lists)
		}
	}
}

// TestPrefetch: a console told to prefetch lists and reads the snapshots
// at once, before any page asks.
func TestPrefetch(t *testing.T) {
	f := newFixture(t)
	be, err := local.Open(t.Context(), f.dir)
	if err != nil {
		t.Fatal(err)
	}
	counted := &listCounter{Backend: be}
	r, err := repo.Open(t.Context(), counted, repotest.Password, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	con, err := New(Options{Repositories: map[string]*repo.Repository{"default": r}, Token: secret.New(testToken), Prefetch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = con.Shutdown(context.Background()) })
	if !testenv.Eventually(time.Minute, 10*time.Millisecond, func() bool {
		_, ok := con.sources["default"].snaps.cached(f.beta)
		return ok
	}) {
		t.Fatalf("no snapshot read ahead of a page (%d listings)", counted.lists.Load())
	}
}
