package orchestrate

import (
	"context"
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

	ran := false
	err := lockedLoading(t.Context(), r, func(context.Context, []repo.Snapshot) error {
		ran = true
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "snapshot "+ids[1].Str()+" cannot be read") || ran {
		t.Fatalf("lockedLoading beside a damaged newest snapshot: ran %v, %v", ran, err)
	}
	if locks, err := r.List(t.Context(), backend.LockFile); err != nil || len(locks) != 0 {
		t.Errorf("locks left: %v, %v", locks, err)
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	var sns []repo.Snapshot
	err = lockedLoading(t.Context(), r, func(_ context.Context, got []repo.Snapshot) error {
		sns = got
		return nil
	})
	if err != nil || len(sns) != 1 || sns[0].ID != ids[0] {
		t.Fatalf("lockedLoading once the file is gone: %v, %v", sns, err)
	}
}
