package retention

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Forget applies o to the snapshots of r and, unless o.DryRun, removes the
// snapshot files the policy does not keep. The caller must hold an
// exclusive lock on r for the whole call (and for a prune that follows), so
// that no backup adds a snapshot the decision did not see and no other
// process reads a snapshot while it goes. Data stays until a prune.
//
// On a removal error the Result still lists, in Removed, the snapshots that
// were removed before it. Under S3 Object Lock, snapshots still retained
// are kept (Result.Retained) and the retention of those the policy keeps
// is extended when due.
func Forget(ctx context.Context, r *repo.Repository, o Options) (Result, error) {
	if o.Policy.Empty() {
		return Result{}, ErrEmptyPolicy
	}
	if err := o.Policy.Validate(); err != nil {
		return Result{}, err
	}
	snapshots, err := r.Snapshots(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("forget: load snapshots: %w", err)
	}
	groups, err := Plan(snapshots, o)
	if err != nil {
		return Result{}, err
	}
	res := Result{Groups: groups, Removed: toRemove(groups)}
	if o.DryRun {
		res.Removed, res.Retained, err = splitRetained(ctx, r, res.Removed)
		return res, err
	}
	res.Removed, res.Retained, err = RemoveUnlessRetained(ctx, r, res.Removed)
	if err != nil {
		return res, err
	}
	res.Retained.Extension, err = extendKept(ctx, r, res.Kept())
	return res, err
}

// removeParallel bounds concurrent removals: enough to hide S3 latency,
// few enough not to hit request limits.
const removeParallel = 8

// RemoveSnapshots deletes the snapshot files ids from r's backend and
// returns those it removed, in the order of ids. The caller holds an
// exclusive lock. It stops at the first failure.
func RemoveSnapshots(ctx context.Context, r *repo.Repository, ids []format.ID) ([]format.ID, error) {
	done := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(removeParallel)
	for i, id := range ids {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err // an earlier removal failed: leave the rest
			}
			h := backend.Handle{Type: backend.SnapshotFile, Name: id.String()}
			if err := r.Backend().Remove(gctx, h); err != nil {
				return fmt.Errorf("remove snapshot %v: %w", id.Str(), backend.RefusedDelete(h.Type, err))
			}
			done[i] = true
			return nil
		})
	}
	err := g.Wait()
	var removed []format.ID
	for i, id := range ids {
		if done[i] {
			removed = append(removed, id)
		}
	}
	return removed, err
}
