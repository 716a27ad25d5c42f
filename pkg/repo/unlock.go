package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// UnlockReport is what RemoveStaleLocks did.
type UnlockReport struct {
	Removed int // lock files deleted
	Kept    int // live locks (or unreadable ones, without all)
}

// RemoveStaleLocks deletes the lock files that restic's rule calls stale
// (older than 30 minutes, or made on this host by a process that no longer
// exists): stale locks still block exclusive operations until someone
// removes them, as in restic. With all, every lock file goes, including
// unreadable ones: only for when no other process uses the repository.
// It takes no lock itself, as restic's unlock does not.
func (r *Repository) RemoveStaleLocks(ctx context.Context, all bool) (UnlockReport, error) {
	var rep UnlockReport
	ids, err := r.List(ctx, backend.LockFile)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		remove := all
		if !all {
			stale, err := r.lockIsStale(ctx, id)
			if errors.Is(err, backend.ErrNotExist) {
				continue // removed meanwhile by its owner
			}
			if err != nil {
				r.opts.Logger.Warn("keeping a lock that cannot be read; 'drydock unlock --remove-all' removes it", "lock", id.Str(), "err", err)
			}
			remove = stale
		}
		if !remove {
			rep.Kept++
			continue
		}
		if err := r.be.Remove(ctx, backend.Handle{Type: backend.LockFile, Name: id.String()}); err != nil {
			return rep, fmt.Errorf("remove lock %v: %w", id.Str(), err)
		}
		rep.Removed++
	}
	return rep, nil
}

func (r *Repository) lockIsStale(ctx context.Context, id format.ID) (bool, error) {
	raw, err := r.LoadUnpacked(ctx, backend.LockFile, id)
	if err != nil {
		return false, err
	}
	doc, err := format.DecodeLock(raw)
	if err != nil {
		return false, err
	}
	return isStale(*doc), nil
}

// RemoveLock deletes one lock file by ID, e.g. one whose Unlock failed
// earlier; a lock already gone is no error.
func (r *Repository) RemoveLock(ctx context.Context, id format.ID) error {
	return r.be.Remove(ctx, backend.Handle{Type: backend.LockFile, Name: id.String()})
}
