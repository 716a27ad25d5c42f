package repo

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// lockRemoveTimeout bounds the removal of one of our lock files, which
// runs even when the caller's context is done.
const lockRemoveTimeout = time.Minute

// LeftLocks are lock files of this process that could not be removed
// (storage failing at the time). They block every exclusive operation
// (prune) until removed, so the next WithLock on the repository removes
// them first. The zero value is ready; a Repository keeps its own unless
// Options.LeftLocks gives one. A process that opens a repository again
// after a failure (the daemon) shares one between those handles, so that
// what a closed handle left is still removed.
type LeftLocks struct {
	mu  sync.Mutex
	ids []format.ID
}

func (s *LeftLocks) add(ids ...format.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if !slices.Contains(s.ids, id) {
			s.ids = append(s.ids, id)
		}
	}
}

func (s *LeftLocks) take() []format.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.ids
	s.ids = nil
	return ids
}

// release stops refreshing and removes the lock file, on a context that
// is not cancelled: a lock left behind blocks prune. What it cannot
// remove is logged and left to the next WithLock.
func (l *Lock) release(ctx context.Context) {
	l.cancel(errors.New("unlocked"))
	<-l.done
	<-l.checked
	var failed []format.ID
	var errs []error
	for _, id := range append(l.leftover, l.id) {
		if err := l.r.removeLock(ctx, id); err != nil {
			failed, errs = append(failed, id), append(errs, err)
		}
	}
	if len(failed) > 0 {
		l.r.opts.LeftLocks.add(failed...)
		l.r.opts.Logger.Warn("cannot remove repository lock; the next lock on this repository tries again, 'drydock unlock' removes it once stale",
			"locks", shortIDs(failed), "err", errors.Join(errs...))
	}
}

// removeLeftLocks removes the lock files earlier locks could not, keeping
// those that still cannot be removed.
func (r *Repository) removeLeftLocks(ctx context.Context) {
	for _, id := range r.opts.LeftLocks.take() {
		if err := r.removeLock(ctx, id); err != nil {
			r.opts.Logger.Warn("still cannot remove an earlier lock", "lock", id.Str(), "err", err)
			r.opts.LeftLocks.add(id)
		}
	}
}

// dropLock removes a lock file of an attempt that did not become a Lock.
func (r *Repository) dropLock(ctx context.Context, id format.ID) {
	if id.IsNull() {
		return
	}
	if err := r.removeLock(ctx, id); err != nil {
		r.opts.LeftLocks.add(id)
		r.opts.Logger.Warn("cannot remove our lock file; the next lock on this repository tries again, 'drydock unlock' removes it once stale",
			"lock", id.Str(), "err", err)
	}
}

// removeLock deletes one of our lock files even when ctx is done.
func (r *Repository) removeLock(ctx context.Context, id format.ID) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockRemoveTimeout)
	defer cancel()
	err := r.deleteLock(ctx, id)
	if err != nil && r.opts.LockOwner != nil {
		r.opts.LockOwner.Left()
	}
	return err
}

// deleteLock deletes one lock file by ID; a lock already gone is no error.
func (r *Repository) deleteLock(ctx context.Context, id format.ID) error {
	return r.be.Remove(ctx, backend.Handle{Type: backend.LockFile, Name: id.String()})
}

func shortIDs(ids []format.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Str()
	}
	return out
}
