package orchestrate

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestLeftLocksRemovedByNextJob: lock files recorded as left behind are
// removed when the repository's next job opens it; a lock that is already
// gone is not an error, and other repositories' records stay.
func TestLeftLocksRemovedByNextJob(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	l, _, err := r.Lock(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := r.List(t.Context(), backend.LockFile)
	if err != nil || len(ids) != 1 {
		t.Fatalf("locks %v, %v", ids, err)
	}
	l.Unlock() // our lock file is gone now; put one back as if Unlock had failed
	left, err := r.SaveUnpacked(t.Context(), backend.LockFile, []byte(`{"time":"2026-01-01T00:00:00Z","exclusive":true,"hostname":"h","username":"u","pid":1}`))
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{log: slog.New(slog.DiscardHandler), leftLocks: map[string][]format.ID{
		"main":  {left, ids[0]},
		"other": {ids[0]},
	}}
	d.removeLeftLocks(t.Context(), "main", r)
	rest, err := r.List(t.Context(), backend.LockFile)
	if err != nil || len(rest) != 0 {
		t.Fatalf("locks after the next job: %v, %v", rest, err)
	}
	if len(d.leftLocks["main"]) != 0 || !slices.Equal(d.leftLocks["other"], []format.ID{ids[0]}) {
		t.Fatalf("records after the next job: %v", d.leftLocks)
	}
}
