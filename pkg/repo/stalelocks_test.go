package repo_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestStaleLocks: StaleLocks lists exactly what RemoveStaleLocks removes
// (old locks, those of dead processes on this host) and removes nothing;
// live, recent, other-namespace and unreadable locks are not listed.
func TestStaleLocks(t *testing.T) {
	r, _ := newLocalRepo(t, 2, repo.Options{})
	host, _ := os.Hostname()
	repotest.HoldLock(t, r, false) // live
	old := repotest.SaveLock(t, r, format.Lock{Time: time.Now().Add(-31 * time.Minute), Exclusive: true, Hostname: "elsewhere", PID: 1})
	dead := repotest.SaveLock(t, r, format.Lock{Time: time.Now(), Hostname: host, PID: deadPID(t)})
	repotest.SaveLock(t, r, format.Lock{Time: time.Now(), Hostname: "elsewhere", PID: 42})
	repotest.SaveLock(t, r, format.Lock{Time: time.Now(), Hostname: host, PID: deadPID(t), PIDNamespace: 1})
	if _, err := r.SaveUnpacked(t.Context(), backend.LockFile, []byte("not a lock")); err != nil {
		t.Fatal(err)
	}
	before := lockIDs(t, r)
	stale, err := r.StaleLocks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []format.ID
	for _, l := range stale {
		ids = append(ids, l.ID)
		if l.Why == "" {
			t.Errorf("stale lock %s without a reason", l.ID.Str())
		}
	}
	want := []format.ID{old, dead}
	slices.SortFunc(ids, func(a, b format.ID) int { return compareIDs(a, b) })
	slices.SortFunc(want, func(a, b format.ID) int { return compareIDs(a, b) })
	if !slices.Equal(ids, want) {
		t.Errorf("StaleLocks = %v, want %v", ids, want)
	}
	if after := lockIDs(t, r); len(after) != len(before) {
		t.Errorf("StaleLocks removed %d lock files", len(before)-len(after))
	}
	rep, err := r.RemoveStaleLocks(t.Context(), false)
	if err != nil || rep.Removed != len(want) {
		t.Errorf("RemoveStaleLocks removed %d (%v), StaleLocks listed %d", rep.Removed, err, len(want))
	}
}

func compareIDs(a, b format.ID) int {
	return slices.Compare(a[:], b[:])
}
