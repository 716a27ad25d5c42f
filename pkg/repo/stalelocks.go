package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// StaleLock is a lock file that RemoveStaleLocks would remove, and why.
type StaleLock struct {
	ID        format.ID
	Exclusive bool
	Hostname  string
	PID       int
	Time      time.Time
	Why       string
}

// StaleLocks lists the lock files RemoveStaleLocks (without all) would
// remove: stale by restic's rule, or of a dead drydock of this
// installation. It removes nothing and takes no lock, so that a console
// can show them before anyone removes them; a lock that cannot be read is
// never listed (only --remove-all removes it).
func (r *Repository) StaleLocks(ctx context.Context) ([]StaleLock, error) {
	ids, err := r.List(ctx, backend.LockFile)
	if err != nil {
		return nil, err
	}
	var out []StaleLock
	for _, id := range ids {
		raw, err := r.LoadUnpacked(ctx, backend.LockFile, id)
		if errors.Is(err, backend.ErrNotExist) {
			continue // removed while we listed
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			continue
		}
		doc, err := format.DecodeLock(raw)
		if err != nil {
			continue
		}
		why := r.deadHolder(*doc)
		if why == "" {
			why = staleness(*doc)
		}
		if why != "" {
			out = append(out, StaleLock{ID: id, Exclusive: doc.Exclusive, Hostname: doc.Hostname, PID: doc.PID, Time: doc.Time, Why: why})
		}
	}
	return out, nil
}

// String describes l for an operator.
func (l StaleLock) String() string {
	kind := "non-exclusive"
	if l.Exclusive {
		kind = "exclusive"
	}
	return fmt.Sprintf("%s lock %s of PID %d on %s, made %s: %s", kind, l.ID.Str(), l.PID, l.Hostname, l.Time.Format(time.RFC3339), l.Why)
}
