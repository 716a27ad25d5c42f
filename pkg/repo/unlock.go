package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// UnlockReport is what RemoveStaleLocks did.
type UnlockReport struct {
	Removed int // lock files deleted
	Kept    int // live locks (or unreadable ones, without all)
}

// RemoveStaleLocks deletes the lock files that restic's rule calls stale
// (older than 30 minutes, or made on this host by a process that no longer
// exists), and those of dead drydocks of this installation (Options.
// LockOwner): stale locks still block exclusive operations until someone
// removes them, as in restic. With all, every lock file goes, including
// unreadable ones: only for when no other process uses the repository.
// It takes no lock itself, as restic's unlock does not.
func (r *Repository) RemoveStaleLocks(ctx context.Context, all bool) (UnlockReport, error) {
	var rep UnlockReport
	if all {
		ids, err := r.List(ctx, backend.LockFile)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			if err := r.deleteLock(ctx, id); err != nil {
				return rep, fmt.Errorf("remove lock %v: %w", id.Str(), err)
			}
			rep.Removed++
		}
		return rep, nil
	}
	locks, dead, err := r.readLocks(ctx, format.ID{})
	rep.Removed = dead
	if err != nil {
		return rep, err
	}
	for _, l := range locks {
		if l.err != nil {
			r.opts.Logger.Warn("keeping a lock that cannot be read; 'drydock unlock --remove-all' removes it", "lock", l.id.Str(), "err", l.err)
		}
		if l.err != nil || !isStale(*l.doc) {
			rep.Kept++
			continue
		}
		if err := r.deleteLock(ctx, l.id); err != nil {
			return rep, fmt.Errorf("remove lock %v: %w", l.id.Str(), err)
		}
		rep.Removed++
	}
	return rep, nil
}

// RemoveDeadLocks deletes the locks whose holder is provably gone (see
// deadHolder) and returns how many went. Taking a lock does the same; the
// daemon calls this at start, so that a killed agent's locks do not block
// others (a stock restic's check) until its next job.
func (r *Repository) RemoveDeadLocks(ctx context.Context) (int, error) {
	_, n, err := r.readLocks(ctx, format.ID{})
	return n, err
}

// lockFile is one lock file as read from storage: doc, or why not.
type lockFile struct {
	id  format.ID
	doc *format.Lock
	err error
}

// readLocks loads every lock file but skip, removing those whose holder
// is provably gone (deadHolder), and returns the others and how many went.
// Locks removed while we list are left out.
func (r *Repository) readLocks(ctx context.Context, skip format.ID) ([]lockFile, int, error) {
	ids, err := r.List(ctx, backend.LockFile)
	if err != nil {
		return nil, 0, err
	}
	var locks []lockFile
	dead := 0
	for _, id := range ids {
		if id == skip {
			continue
		}
		l := lockFile{id: id}
		var raw []byte
		raw, l.err = r.LoadUnpacked(ctx, backend.LockFile, id)
		if errors.Is(l.err, backend.ErrNotExist) {
			continue // removed while we listed
		}
		why := ""
		if l.err == nil {
			l.doc, l.err = format.DecodeLock(raw)
		}
		if l.err == nil {
			why = r.deadHolder(*l.doc)
		}
		if why != "" {
			if err := r.removeDeadLock(ctx, id, *l.doc, why); err != nil {
				return nil, dead, err
			}
			dead++
			continue
		}
		locks = append(locks, l)
	}
	return locks, dead, nil
}

// removeDeadLock deletes a lock whose holder is provably gone (why says
// how we know), and says so: an operator may wonder where the lock went.
func (r *Repository) removeDeadLock(ctx context.Context, id format.ID, doc format.Lock, why string) error {
	if err := r.deleteLock(ctx, id); err != nil {
		return fmt.Errorf("remove lock %v, whose holder is gone (%s): %w", id.Str(), why, err)
	}
	kind := "non-exclusive"
	if doc.Exclusive {
		kind = "exclusive"
	}
	r.opts.Logger.Warn("removed a lock whose holder is gone", "why", why,
		"lock", id.Str(), "kind", kind, "pid", doc.PID, "host", doc.Hostname,
		"created", doc.Time.Format(time.RFC3339), "process", doc.Process)
	return nil
}

// deadHolder says why the process that made doc is provably gone, "" if
// it may be alive: a drydock of this installation whose process file is
// no longer held (Options.LockOwner), or a drydock of this machine, boot
// and PID namespace whose PID no longer exists (processGone).
func (r *Repository) deadHolder(doc format.Lock) string {
	switch {
	case r.opts.LockOwner != nil && r.opts.LockOwner.Dead(doc):
		return "a drydock of this installation that is no longer running"
	case processGone(doc):
		return fmt.Sprintf("PID %d of this machine, boot and PID namespace, which no longer runs", doc.PID)
	}
	return ""
}
