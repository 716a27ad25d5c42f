package repo_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
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
	repotest.HoldLock(t, r, false) // live
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

// TestLeftLocksRemovedByNextLock: a lock file that cannot be removed when
// its lock ends is named in a warning and removed by the next lock, also
// on another handle that shares the LeftLocks (the daemon opens a
// repository again after a failure); a lock already gone by then is no
// error, and what another repository's LeftLocks hold stays there.
func TestLeftLocksRemovedByNextLock(t *testing.T) {
	_, dir := newLocalRepo(t, 2, repo.Options{})
	plain, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	fb := &failingLockRemoval{Backend: plain.Backend()}
	var logs testenv.SyncBuffer
	left, other := new(repo.LeftLocks), new(repo.LeftLocks)
	open := func(left *repo.LeftLocks) *repo.Repository {
		r, err := repo.Open(t.Context(), fb, password, repo.Options{LeftLocks: left, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// failOnce takes a shared lock whose file cannot be removed at its end.
	failOnce := func(t *testing.T, r *repo.Repository) format.ID {
		t.Helper()
		before := lockIDs(t, r)
		err := r.WithLock(t.Context(), repo.LockMode{}, func(context.Context, *repo.Lock) error {
			fb.on = true
			return nil
		})
		fb.on = false
		ids := slices.DeleteFunc(lockIDs(t, r), func(id format.ID) bool { return slices.Contains(before, id) })
		if err != nil || len(ids) != 1 {
			t.Fatalf("WithLock: %v, new locks left %v, want ours", err, ids)
		}
		if s := logs.String(); !strings.Contains(s, "cannot remove repository lock") || !strings.Contains(s, ids[0].Str()) {
			t.Fatalf("no warning naming the lock %s left behind:\n%s", ids[0].Str(), s)
		}
		return ids[0]
	}

	t.Run("same handle", func(t *testing.T) {
		r := open(nil)
		failOnce(t, r)
		if err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork); err != nil {
			t.Fatalf("the next lock: %v", err)
		}
		if ids := lockIDs(t, r); len(ids) != 0 {
			t.Fatalf("locks left after the next lock: %v", ids)
		}
	})
	t.Run("shared between handles", func(t *testing.T) {
		failOnce(t, open(left))
		untouched := failOnce(t, open(other))
		second := failOnce(t, open(left))
		// One of them is removed by hand before the next lock.
		if err := fb.Backend.Remove(t.Context(), backend.Handle{Type: backend.LockFile, Name: second.String()}); err != nil {
			t.Fatal(err)
		}
		mark := len(logs.String())
		r := open(left)
		if err := r.WithLock(t.Context(), repo.LockMode{}, noWork); err != nil {
			t.Fatalf("the next lock on a new handle: %v", err)
		}
		if ids := lockIDs(t, r); !slices.Equal(ids, []format.ID{untouched}) {
			t.Fatalf("locks left %v, want only the other repository's %v", ids, untouched)
		}
		if s := logs.String()[mark:]; strings.Contains(s, "still cannot") {
			t.Fatalf("a lock already gone was reported:\n%s", s)
		}
	})
}
