package backup

import (
	"context"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// RunPaths backs up targets (absolute, clean paths) into one snapshot
// under a shared lock it takes on r: the use case of 'drydock backup' and
// of the daemon's paths jobs. The lock is taken early (repo.LockMode.Early):
// the index is brought up to date, the snapshots are read and the tree is
// walked in the lock protocol's 200 ms wait, and an unchanged tree is
// often walked before the wait is over. The snapshot is written only once
// the lock is confirmed (RunPaths sets opts.Confirm); if the check finds a
// conflicting lock, the work is done once more under a new lock. A dry run
// takes no lock. Progress goes to opts.Progress and opts.Loaded; nothing is
// printed.
func RunPaths(ctx context.Context, r *repo.Repository, targets []string, opts PathOptions) (PathResult, error) {
	if opts.DryRun {
		// It writes nothing, so, as restic's, it takes no lock: a dry run
		// works on read-only and append-only storage too.
		sns, err := refreshed(ctx, r)
		if err != nil {
			return PathResult{}, err
		}
		if opts.Loaded != nil {
			opts.Loaded()
		}
		return Paths(ctx, r, targets, sns, opts)
	}
	var res PathResult
	err := r.WithLock(ctx, repo.LockMode{Early: true}, func(ctx context.Context, l *repo.Lock) error {
		sns, err := refreshed(ctx, r)
		if err != nil {
			return err
		}
		if opts.Loaded != nil {
			opts.Loaded()
		}
		o := opts
		o.Confirm = l.Confirmed
		res, err = Paths(ctx, r, targets, sns, o)
		return err
	})
	if err != nil {
		return PathResult{}, err
	}
	return res, nil
}

// RunVolumes backs up the apps of p, each into its own snapshot, through
// m (which stops and starts their containers), under a shared lock it
// takes on r: the use case of 'drydock volumes backup' and of the
// daemon's volumes jobs. It returns what Volumes returns; progress goes to
// opts.Progress, nothing is printed.
func RunVolumes(ctx context.Context, m *volume.Manager, r *repo.Repository, p *appplan.Plan, opts VolumeOptions) ([]AppReport, error) {
	var reports []AppReport
	err := r.WithLock(ctx, repo.LockMode{}, func(ctx context.Context, _ *repo.Lock) (err error) {
		reports, err = Volumes(ctx, m, r, p, opts)
		return err
	})
	return reports, err
}

// refreshed brings the index up to date (on a handle kept open since an
// earlier run, the daemon's, only what changed is read) and returns the
// readable snapshots.
func refreshed(ctx context.Context, r *repo.Repository) ([]repo.Snapshot, error) {
	if _, err := r.Refresh(ctx); err != nil {
		return nil, err
	}
	return r.ReadableSnapshots(ctx)
}
