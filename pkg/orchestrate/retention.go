package orchestrate

import (
	"context"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// Policy turns a job's retention settings into restic's keep policy.
func Policy(rc *config.Retention) (retention.Policy, error) {
	p := retention.Policy{
		Last: rc.KeepLast, Hourly: rc.KeepHourly, Daily: rc.KeepDaily,
		Weekly: rc.KeepWeekly, Monthly: rc.KeepMonthly, Yearly: rc.KeepYearly,
	}
	if rc.KeepWithin != "" {
		d, err := retention.ParseDuration(rc.KeepWithin)
		if err != nil {
			return p, fmt.Errorf("keep_within: %w", err)
		}
		p.Within = d
	}
	for _, t := range rc.KeepTag {
		p.Tags = append(p.Tags, retention.ParseTagList(t))
	}
	return p, p.Validate()
}

// pruneOptions are prune's settings for a job.
func pruneOptions(rc *config.Retention) (prune.Options, error) {
	var o prune.Options
	if rc.MaxUnused != "" {
		m, err := prune.ParseMaxUnused(rc.MaxUnused)
		if err != nil {
			return o, fmt.Errorf("max_unused: %w", err)
		}
		o.MaxUnused = m
	}
	return o, nil
}

// retention forgets the job's own snapshots (this host, the job's tag) in
// r that rc does not keep, grouped by paths as restic does, and then
// prunes if any were removed. Both hold an exclusive lock, which waits for
// other hosts' backups to finish (lock_wait). r is the job's repository,
// or a copy destination with a retention of its own.
func (x *run) retention(ctx context.Context, r *repo.Repository, rc *config.Retention) error {
	policy, err := Policy(rc)
	if err != nil {
		return err
	}
	popts, err := pruneOptions(rc)
	if err != nil {
		return err
	}
	var locked bool
	err = r.WithLock(ctx, repo.LockMode{Exclusive: true, Deletes: true}, func(ctx context.Context, l *repo.Lock) error {
		locked = true
		return x.forgetAndPrune(ctx, r, l, policy, popts, rc.PruneEnabled())
	})
	if !locked {
		return fmt.Errorf("retention: %w", err)
	}
	return err
}

// ownFilter selects the job's snapshots: this host's, with the job's
// tag (in a copy destination too, as a copy keeps both).
func (x *run) ownFilter() retention.Filter {
	return retention.Filter{Hosts: []string{x.host()}, Tags: retention.TagLists{{jobTag(x.name)}}}
}

// forgetAndPrune is retention under the exclusive lock l.
func (x *run) forgetAndPrune(ctx context.Context, r *repo.Repository, l *repo.Lock, policy retention.Policy, popts prune.Options, prunes bool) error {
	res, err := retention.Forget(ctx, r, retention.Options{Policy: policy, Filter: x.ownFilter()})
	x.res.Forgotten = len(res.Removed)
	if err != nil {
		return fmt.Errorf("forget: %w", err)
	}
	// Under S3 Object Lock prune also renews the retention of what the
	// kept snapshots need, before it runs out: it runs every time then,
	// not only after forget removed something.
	_, retains := backend.AsRetainer(r.Backend())
	if !prunes || len(res.Removed) == 0 && !retains {
		return nil
	}
	// The index as a fresh load would find it (what others wrote since
	// the backup's lock), reading only what changed.
	if _, err := r.Refresh(ctx); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	popts.Logger = x.d.log
	plan, err := prune.NewPlan(ctx, r, popts)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	pres, err := plan.Execute(ctx, l)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	x.res.Pruned = true
	x.d.log.Info("pruned", "job", x.name, "packs_deleted", pres.PacksDeleted, "bytes_deleted", pres.BytesDeleted,
		"packs_written", pres.PacksWritten)
	return nil
}
