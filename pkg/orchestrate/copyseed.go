package orchestrate

import (
	"context"
	"maps"
	"slices"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// seedBehind marks, at start, each copy that has not run yet as behind
// if the job's latest snapshot (of each host and paths) is not in its
// destination, or either repository cannot be read: a copy that was
// behind when the daemon stopped stays an alert across the restart, even
// if its next run is a day away.
func (d *Daemon) seedBehind(ctx context.Context, cfg *config.Config) {
	for _, name := range slices.Sorted(maps.Keys(cfg.Jobs)) {
		job := cfg.Jobs[name]
		if len(job.Copy) == 0 {
			continue
		}
		x := &run{d: d, cfg: cfg, name: name, job: job}
		latest, err := d.readSnapshots(ctx, cfg, job.Repository)
		latest = latestPerPaths(x.ownFilter().Select(latest))
		for _, c := range job.Copy {
			behind := err != nil
			if !behind {
				dst, derr := d.readSnapshots(ctx, cfg, c.Repository)
				behind = derr != nil || !allIn(latest, dst)
			}
			if ctx.Err() != nil {
				return
			}
			d.seedCopy(taskKey{job: name, kind: KindCopy, dest: c.Repository}, behind)
		}
	}
}

// readSnapshots lists a repository's snapshots on its pooled handle.
func (d *Daemon) readSnapshots(ctx context.Context, cfg *config.Config, name string) ([]repo.Snapshot, error) {
	r, _, release, err := d.pool.acquire(ctx, name, cfg.Repositories[name], useRead, d.opener(cfg, name))
	if err != nil {
		d.log.Warn("cannot tell whether copies are behind", "repository", name, "err", err)
		return nil, err
	}
	sns, err := r.ReadableSnapshots(ctx)
	release(!keepAfter(err))
	if err != nil {
		d.log.Warn("cannot tell whether copies are behind", "repository", name, "err", err)
	}
	return sns, err
}

// allIn tells whether dst holds a copy of each of sns, as snapcopy tells.
func allIn(sns, dst []repo.Snapshot) bool {
	for _, sn := range sns {
		if !slices.ContainsFunc(dst, func(c repo.Snapshot) bool { return snapcopy.Holds(c, sn) }) {
			return false
		}
	}
	return true
}

// seedCopy sets the copy's behind flag, and its gauge, if it has not run.
func (d *Daemon) seedCopy(key taskKey, behind bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tasks[key]
	if t == nil || t.status.Runs > 0 || t.status.Running {
		return
	}
	t.status.Behind = behind
	d.metrics.copies.seed(key.job, key.dest, behind)
}
