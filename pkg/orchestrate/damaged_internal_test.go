package orchestrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestVerifyRunsRefuseLatestBesideDamagedSnapshot: the daemon's test
// restores and drills take the job's latest snapshots; while the newest
// snapshot file cannot be read they fail naming it, and keep no lock,
// instead of testing the older snapshot. Once it is gone they go on.
func TestVerifyRunsRefuseLatestBesideDamagedSnapshot(t *testing.T) {
	r, dir := repotest.New(t, 0, repo.Options{})
	tree := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID { return c.Tree(c.File("f", 0o644, "data")) })
	var ids []format.ID
	for i := range 2 {
		id, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC),
			Tree: &tree, Paths: []string{"/data"}, Hostname: "h", Tags: []string{jobTag("j")}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	file := filepath.Join(dir, "snapshots", ids[1].String())
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("not a snapshot file"), 0o600); err != nil {
		t.Fatal(err)
	}

	lock, _, sns, err := lockLoading(t.Context(), r)
	if err == nil || !strings.Contains(err.Error(), "snapshot "+ids[1].Str()+" cannot be read") || lock != nil || sns != nil {
		t.Fatalf("lockLoading beside a damaged newest snapshot: lock %v, snapshots %v, %v", lock, sns, err)
	}
	if locks, err := r.List(t.Context(), backend.LockFile); err != nil || len(locks) != 0 {
		t.Errorf("locks left: %v, %v", locks, err)
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	lock, _, sns, err = lockLoading(t.Context(), r)
	if err != nil || len(sns) != 1 || sns[0].ID != ids[0] {
		t.Fatalf("lockLoading once the file is gone: %v, %v", sns, err)
	}
	lock.Unlock()
}
