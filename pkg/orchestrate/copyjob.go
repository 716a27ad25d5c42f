package orchestrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// copyAfterBackup runs, one after the other, the job's copies that have
// no schedule of their own. Each is a task of its own: its failure is
// recorded and notified there, never on the backup.
func (d *Daemon) copyAfterBackup(ctx context.Context, cfg *config.Config, job string) {
	for _, c := range cfg.Jobs[job].Copy {
		if c.Schedule != "" || ctx.Err() != nil {
			continue
		}
		key := taskKey{job: job, kind: KindCopy, dest: c.Repository}
		t, err := d.begin(key)
		if errors.Is(err, errRunning) {
			d.log.Warn("copy still running: this turn is skipped", "job", job, "destination", c.Repository)
		}
		if err != nil {
			continue
		}
		d.perform(ctx, cfg, key, t, d.startOperation(key, t, oplog.Scheduled))
		d.running.Done()
	}
}

// copyOnce copies the job's new snapshots from its repository to the
// destination key.dest, then applies the destination's retention. Until
// the copy itself has succeeded the destination counts as behind: a
// failure to open either repository too.
func (d *Daemon) copyOnce(ctx context.Context, cfg *config.Config, key taskKey, res *RunResult) (err error) {
	job := cfg.Jobs[key.job]
	dc := destination(job, key.dest)
	if dc == nil {
		return fmt.Errorf("job %s has no copy destination %s", key.job, key.dest)
	}
	res.Behind = true
	src, _, releaseSrc, err := d.pool.acquire(ctx, job.Repository, cfg.Repositories[job.Repository], useRun, d.opener(cfg, job.Repository))
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer func() { releaseSrc(!keepAfter(err)) }()
	dst, _, releaseDst, err := d.pool.acquire(ctx, key.dest, cfg.Repositories[key.dest], useRun, d.opener(cfg, key.dest))
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer func() { releaseDst(!keepAfter(err)) }()
	x := &run{d: d, cfg: cfg, name: key.job, job: job, res: res}
	err = x.copyTo(ctx, src, dst, key.dest, dc)
	res.End = time.Now()
	if ctx.Err() == nil {
		d.measure(ctx, key.dest, dst, res)
	}
	return err
}

func destination(job *config.Job, name string) *config.Copy {
	for _, c := range job.Copy {
		if c.Repository == name {
			return c
		}
	}
	return nil
}

// copyTo copies, then forgets and prunes on the destination if dc has a
// retention: under an exclusive lock, refused up front on append-only
// storage (LockMode.Deletes), as the job's own retention.
func (x *run) copyTo(ctx context.Context, src, dst *repo.Repository, dest string, dc *config.Copy) error {
	if err := x.copySnapshots(ctx, src, dst, dest); err != nil {
		return fmt.Errorf("copy to %s: %w", dest, err)
	}
	x.res.Behind = false
	if dc.Retention == nil {
		return nil
	}
	gate := x.d.gate(dest)
	gate.Lock()
	defer gate.Unlock()
	if err := x.retention(ctx, dst, dc.Retention); err != nil {
		return fmt.Errorf("retention on %s: %w", dest, err)
	}
	return nil
}

// copySnapshots copies the job's new snapshots under a shared lock of
// each repository (copying only adds), the source's taken first.
func (x *run) copySnapshots(ctx context.Context, src, dst *repo.Repository, dest string) error {
	unlock := x.d.readGates(x.job.Repository, dest)
	defer unlock()
	shared := repo.LockMode{}
	return src.WithLock(ctx, shared, func(ctx context.Context, _ *repo.Lock) error {
		return dst.WithLock(ctx, shared, func(ctx context.Context, _ *repo.Lock) error {
			sns, err := x.newSnapshots(ctx, src, dst)
			if err != nil {
				return err
			}
			sum, err := snapcopy.Run(ctx, src, dst, sns, snapcopy.Options{Logger: x.d.log})
			x.res.Copied, x.res.CopySkipped, x.res.BytesCopied = sum.Copied, sum.Skipped, sum.Stats.DataAdded
			return err
		})
	})
}

// newSnapshots are the job's snapshots in src (ownFilter) that are
// newer than the job's newest in dst, per group of host and paths (a
// volumes job has one per app): all of them the first time, and after
// failed runs all those missed. Older ones are not copied again, so that
// what the destination's retention forgot stays forgotten.
func (x *run) newSnapshots(ctx context.Context, src, dst *repo.Repository) ([]repo.Snapshot, error) {
	own := x.ownFilter()
	srcSns, err := src.ReadableSnapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("source snapshots: %w", err)
	}
	dstSns, err := dst.ReadableSnapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("destination snapshots: %w", err)
	}
	newest := map[string]time.Time{}
	for _, sn := range own.Select(dstSns) {
		k := groupOf(sn)
		if t, ok := newest[k]; !ok || sn.Time.After(t) {
			newest[k] = sn.Time
		}
	}
	var out []repo.Snapshot
	for _, sn := range own.Select(srcSns) { // oldest first
		if t, ok := newest[groupOf(sn)]; !ok || sn.Time.After(t) {
			out = append(out, sn)
		}
	}
	return out, nil
}

// groupOf is sn's retention group (host and paths) as a map key.
func groupOf(sn repo.Snapshot) string {
	b, _ := json.Marshal(retention.DefaultGroupBy.KeyOf(sn)) // strings always encode
	return string(b)
}

// readGates read-locks the in-process gates of the named repositories in
// one order, by location, so that two copies in opposite directions and
// a retention waiting on each cannot deadlock; it returns their unlock.
func (d *Daemon) readGates(names ...string) func() {
	type gate struct {
		loc string
		g   *sync.RWMutex
	}
	var gs []gate
	for _, n := range names {
		loc, g := d.gateOf(n)
		if !slices.ContainsFunc(gs, func(x gate) bool { return x.g == g }) {
			gs = append(gs, gate{loc, g})
		}
	}
	slices.SortFunc(gs, func(a, b gate) int { return strings.Compare(a.loc, b.loc) })
	for _, g := range gs {
		g.g.RLock()
	}
	return func() {
		for _, g := range slices.Backward(gs) {
			g.g.RUnlock()
		}
	}
}

// copyOnly tells whether repository name is a copy destination of some
// job and the repository of none.
func copyOnly(cfg *config.Config, name string) bool {
	dest := false
	for _, j := range cfg.Jobs {
		if j.Repository == name {
			return false
		}
		dest = dest || destination(j, name) != nil
	}
	return dest
}
