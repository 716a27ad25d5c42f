package console

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/resticjson"
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
