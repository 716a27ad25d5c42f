package repo_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func lockIDs(t *testing.T, r *repo.Repository) []format.ID {
	t.Helper()
	ids, err := r.List(t.Context(), backend.LockFile)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestRemoveStaleLocks: old locks and locks of dead processes on this host
// go, however fresh (the README's and restic's rule); a live lock, a recent
// lock of another host and an unreadable lock stay; --remove-all removes
// all.
func TestRemoveStaleLocks(t *testing.T) {
	r, _ := newLocalRepo(t, 2, repo.Options{})
	host, _ := os.Hostname()
	live, _, err := r.Lock(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Unlock()
	old := repotest.SaveLock(t, r, format.Lock{Time: time.Now().Add(-31 * time.Minute), Exclusive: true, Hostname: "elsewhere", PID: 1})
	dead := repotest.SaveLock(t, r, format.Lock{Time: time.Now().Add(-7 * time.Minute), Hostname: host, PID: deadPID(t)})
	// A process killed a moment ago: its lock is stale at once.
	fresh := repotest.SaveLock(t, r, format.Lock{Time: time.Now(), Hostname: host, PID: deadPID(t)})
	other := repotest.SaveLock(t, r, format.Lock{Time: time.Now(), Hostname: "elsewhere", PID: 42})
	// A process of another PID namespace with this host name (a drydock in
	// a container on the host's network): its PID means nothing here.
	container := repotest.SaveLock(t, r, format.Lock{Time: time.Now(), Hostname: host, PID: deadPID(t), PIDNamespace: 1})
	garbage, err := r.SaveUnpacked(t.Context(), backend.LockFile, []byte("not a lock"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.RemoveStaleLocks(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	left := lockIDs(t, r)
	if rep.Removed != 3 || rep.Kept != 4 || slices.Contains(left, old) || slices.Contains(left, dead) ||
		!slices.Contains(left, other) || !slices.Contains(left, garbage) || slices.Contains(left, fresh) ||
		!slices.Contains(left, container) || len(left) != 4 {
		t.Fatalf("report %+v, left %v", rep, left)
	}
	if rep, err = r.RemoveStaleLocks(t.Context(), true); err != nil || rep.Removed != 4 || len(lockIDs(t, r)) != 0 {
		t.Fatalf("remove all: %+v, %v, left %v", rep, err, lockIDs(t, r))
	}
}

// failingLockRemoval refuses to remove lock files while on.
type failingLockRemoval struct {
	backend.Backend
	on bool
}

func (f *failingLockRemoval) Remove(ctx context.Context, h backend.Handle) error {
	if f.on && h.Type == backend.LockFile {
		return errors.New("storage unavailable (test)")
	}
	return f.Backend.Remove(ctx, h)
}

// TestUnlockReportsLeftovers: a lock file Unlock cannot remove is named in
// an UnlockError, and RemoveLock removes it once storage works again.
func TestUnlockReportsLeftovers(t *testing.T) {
	_, dir := newLocalRepo(t, 2, repo.Options{})
	plain, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	fb := &failingLockRemoval{Backend: plain.Backend()}
	r, err := repo.Open(t.Context(), fb, password, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := r.Lock(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	fb.on = true
	var uerr *repo.UnlockError
	if err := l.Unlock(); !errors.As(err, &uerr) || len(uerr.IDs) != 1 {
		t.Fatalf("Unlock: %v, want an UnlockError naming one lock", err)
	}
	if ids := lockIDs(t, r); !slices.Equal(ids, uerr.IDs) {
		t.Fatalf("locks left %v, reported %v", ids, uerr.IDs)
	}
	fb.on = false
	if err := r.RemoveLock(t.Context(), uerr.IDs[0]); err != nil || len(lockIDs(t, r)) != 0 {
		t.Fatalf("RemoveLock: %v, left %v", err, lockIDs(t, r))
	}
}
