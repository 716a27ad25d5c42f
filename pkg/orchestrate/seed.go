package orchestrate

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// seedLastSuccess sets each backup task's last success, if it has none
// yet, to the time of the job's newest snapshot from this host, or of its
// last run that found nothing changed (unchangedFile), if later. Without
// it a daemon that crashes before every backup would start healthy again
// each time, and /healthz would never report the missing backups.
func (d *Daemon) seedLastSuccess(ctx context.Context, cfg *config.Config) {
	unchanged, err := readUnchanged(cfg.StateDir)
	if err != nil {
		d.log.Warn("cannot read the times of unchanged runs", "err", err)
	}
	for job, t := range unchanged {
		d.seedTask(job, t)
	}
	byRepo := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Jobs)) {
		byRepo[cfg.Jobs[name].Repository] = append(byRepo[cfg.Jobs[name].Repository], name)
	}
	host := hostName(cfg)
	for _, repoName := range slices.Sorted(maps.Keys(byRepo)) {
		// The pooled handle: opened here, it is warm for the first run.
		r, _, release, err := d.pool.acquire(ctx, repoName, cfg.Repositories[repoName], useRead, d.opener(cfg, repoName))
		if err != nil {
			d.log.Warn("cannot read the last backups' times", "repository", repoName, "err", err)
			continue
		}
		sns, err := r.ReadableSnapshots(ctx)
		release(!keepAfter(err))
		if err != nil {
			d.log.Warn("cannot read the last backups' times", "repository", repoName, "err", err)
			continue
		}
		for _, job := range byRepo[repoName] {
			tag := jobTag(job)
			for _, sn := range sns {
				if sn.Hostname != host || !slices.Contains(sn.Tags, tag) {
					continue
				}
				d.seedTask(job, sn.Time)
			}
		}
	}
}

// seedTask makes when the last success of job's backup task if it has
// not run yet and knows no later one.
func (d *Daemon) seedTask(job string, when time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tasks[taskKey{job: job, kind: KindBackup}]; t != nil && t.status.Runs == 0 {
		if t.status.LastSuccess == nil || when.After(*t.status.LastSuccess) {
			t.status.LastSuccess = &when
		}
	}
}
