package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/drill"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// JobTagPrefix starts the tag the daemon puts on every snapshot of a job:
// retention and verification only ever touch the job's own snapshots.
const JobTagPrefix = "drydock-job="

// jobTag is the tag of a job's snapshots.
func jobTag(job string) string { return JobTagPrefix + job }

// run is one execution of a job, with what it needs.
type run struct {
	d    *Daemon
	cfg  *config.Config
	name string
	job  *config.Job
	res  *RunResult
	// log, if set, is where the run logs instead of the daemon's log.
	log *slog.Logger
	// onDrill, if set, gets each restore drill's full result.
	onDrill func(*drill.Result)
}

// backup saves the job's paths or volumes, then applies its retention.
func (x *run) backup(ctx context.Context, r *repo.Repository) error {
	if err := x.save(ctx, r); err != nil || x.job.Retention == nil {
		return err
	}
	gate := x.d.gate(x.job.Repository)
	gate.Lock()
	defer gate.Unlock()
	return x.retention(ctx, r, x.job.Retention)
}

// save runs the backup itself, sharing the repository with the daemon's
// other backups.
func (x *run) save(ctx context.Context, r *repo.Repository) error {
	gate := x.d.gate(x.job.Repository)
	gate.RLock()
	defer gate.RUnlock()
	if x.job.Volumes != nil {
		return x.backupVolumes(ctx, r)
	}
	return x.backupPaths(ctx, r)
}

func (x *run) tags() []string {
	tags := append(slices.Clone(x.job.Tags), jobTag(x.name))
	slices.Sort(tags)
	return slices.Compact(tags)
}

// lockedLoading runs fn under a non-exclusive lock, the index (only what
// changed, on a handle a run before left open) and the snapshots loaded
// during the lock protocol's wait, for a verify run, which tests the job's
// latest snapshots: while a snapshot file cannot be read, which those are
// is unknown (repo.DamagedSnapshotsError.LatestUnknown), so it fails, as
// drydock verify does, rather than test older ones.
func lockedLoading(ctx context.Context, r *repo.Repository, fn func(ctx context.Context, sns []repo.Snapshot) error) error {
	var sns []repo.Snapshot
	load := func(ctx context.Context) (err error) {
		if _, err := r.Refresh(ctx); err != nil {
			return err
		}
		sns, err = r.Snapshots(ctx)
		var dmg *repo.DamagedSnapshotsError
		if errors.As(err, &dmg) {
			return dmg.LatestUnknown()
		}
		return err
	}
	return r.WithLock(ctx, repo.LockMode{Load: load}, func(ctx context.Context, _ *repo.Lock) error {
		return fn(ctx, sns)
	})
}

// backupPaths backs up the job's paths (backup.RunPaths) and records the
// result.
func (x *run) backupPaths(ctx context.Context, r *repo.Repository) error {
	paths := make([]string, len(x.job.Paths))
	for i, p := range x.job.Paths {
		paths[i] = filepath.Clean(p)
	}
	res, err := backup.RunPaths(ctx, r, paths, backup.PathOptions{
		Host: x.cfg.Host, Tags: x.tags(), Exclude: archiver.Exclusions{Patterns: x.job.Exclude}, RecordExcludes: x.job.Exclude, Program: x.d.opts.Program, Logger: x.d.log,
		SkipIfUnchanged: x.job.SkipIfUnchanged,
	})
	if err != nil {
		return err
	}
	if res.Unchanged {
		x.res.Unchanged = res.ID.String()
		x.d.noteUnchanged(x.cfg.StateDir, x.name, res.Snapshot.Time)
	} else {
		x.res.Snapshots = append(x.res.Snapshots, res.ID.String())
	}
	s := res.Snapshot.Summary
	x.res.Files, x.res.BytesRead, x.res.BytesAdded = uint64(s.TotalFilesProcessed), s.TotalBytesProcessed, s.DataAdded
	for _, w := range res.Warnings {
		x.res.Warnings = append(x.res.Warnings, w.Error())
	}
	if len(res.Warnings) > 0 {
		return fmt.Errorf("snapshot %s: %w: %d files could not be read", res.ID.Str(), backup.ErrIncomplete, len(res.Warnings))
	}
	return nil
}

func (x *run) backupVolumes(ctx context.Context, r *repo.Repository) error {
	// One volumes backup at a time on this Docker engine: the daemon's
	// own jobs wait for each other, and for another drydock holding the
	// host lock up to hostLockWait.
	x.d.volumes.Lock()
	defer x.d.volumes.Unlock()
	m, done, err := x.d.volumeManager(ctx, x.cfg.StateDir, x.job.Volumes)
	if err != nil {
		return err
	}
	defer done()
	p, err := m.Plan(ctx)
	if err != nil {
		return fmt.Errorf("plan volumes (is the Docker daemon reachable?): %w", err)
	}
	if p, err = backup.SelectApps(p, x.job.Volumes.Select); err != nil {
		return err
	}
	reports, err := backup.RunVolumes(ctx, m, r, p, backup.VolumeOptions{
		Host: x.cfg.Host, Tags: x.tags(), Program: x.d.opts.Program, Logger: x.d.log,
	})
	for _, rep := range reports {
		x.res.Apps = append(x.res.Apps, AppResult{App: rep.App, Snapshot: rep.SnapshotID, DowntimeSeconds: rep.DowntimeSeconds, FrozenSeconds: rep.FrozenSeconds,
			Killed: rep.Killed, Error: rep.Error})
		if rep.SnapshotID != "" {
			x.res.Snapshots = append(x.res.Snapshots, rep.SnapshotID)
		}
		if f := rep.Final; f != nil {
			x.res.Files += uint64(f.FilesNew + f.FilesChanged + f.FilesUnmodified)
			x.res.BytesRead += f.BytesProcessed
			x.res.BytesAdded += f.DataAdded
		}
		if w := rep.Warm; w != nil {
			x.res.BytesAdded += w.DataAdded
		}
		for _, w := range slices.Concat(rep.KillWarnings, rep.DumpWarnings, rep.Warnings) {
			x.res.Warnings = append(x.res.Warnings, fmt.Sprintf("app %s: %s", rep.App, w))
		}
	}
	if err == nil && len(reports) == 0 {
		x.d.log.Warn("no volume to back up: label volumes or containers drydock.backup=true", "job", x.name)
	}
	return err
}

// hostLockWait bounds the wait for another drydock (a CLI run, another
// daemon) that holds the host lock: as long as the default lock_wait of
// a repository.
const hostLockWait = 10 * time.Minute

// volumeManager connects to Docker, takes the host lock and starts what
// an earlier, killed run left stopped.
func (d *Daemon) volumeManager(ctx context.Context, stateDir string, vc *config.Volumes) (*volume.Manager, func(), error) {
	m, err := volume.New(volume.Options{StateDir: stateDir, Logger: d.log, IncludeBinds: vc.IncludeBinds, MaxDowntime: time.Duration(vc.MaxDowntime)})
	if err != nil {
		return nil, nil, err
	}
	unlock, err := m.LockHost(ctx, hostLockWait)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	done := func() { unlock(); m.Close() }
	swept, err := apprestore.Sweep(stateDir, d.log)
	if len(swept) > 0 {
		d.log.Warn("removed what interrupted restores left beside volumes' data", "dirs", swept)
	}
	if err != nil {
		d.log.Warn("what interrupted restores left", "err", err)
	}
	started, err := m.Recover(ctx)
	for _, c := range started {
		d.log.Warn("started a container an earlier drydock run left stopped", "container", c.Name)
	}
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("containers an earlier run stopped are still not running (journal %s): %w",
			m.JournalPath(), err)
	}
	return m, done, nil
}

// stoppedByEarlierRun tells whether a stop journal lists containers that
// an earlier run (of any drydock on this Docker engine) stopped and did
// not start: one left in the state directory, or, for a daemon with
// volumes jobs, the one beside the host lock. If it cannot tell (Docker
// is not up yet), it says yes, and recovery is tried until it can.
func stoppedByEarlierRun(ctx context.Context, cfg *config.Config) bool {
	if _, err := os.Stat(filepath.Join(cfg.StateDir, volume.JournalFile)); err == nil {
		return true
	}
	if !hasVolumesJob(cfg) {
		return false
	}
	m, err := volume.New(volume.Options{StateDir: cfg.StateDir})
	if err != nil {
		return true
	}
	defer m.Close()
	pending, err := m.JournalPending(ctx)
	return pending || err != nil
}

func hasVolumesJob(cfg *config.Config) bool {
	for _, j := range cfg.Jobs {
		if j.Volumes != nil {
			return true
		}
	}
	return false
}

// recoverInterval is how often recoverVolumes tries again while Docker
// cannot be reached.
const recoverInterval = 30 * time.Second

// recoverVolumes starts, at once, the containers that a killed drydock
// left stopped (its stop journal), rather than at the next scheduled
// volumes backup, which may be a day away. Docker may start after us: it
// tries again until it succeeds or the daemon stops.
func (d *Daemon) recoverVolumes(ctx context.Context, stateDir string) {
	for {
		err := d.recoverOnce(ctx, stateDir)
		if err == nil {
			return
		}
		d.log.Error("cannot start the containers an earlier run left stopped; trying again", "err", err, "in", recoverInterval)
		select {
		case <-ctx.Done():
			return
		case <-time.After(recoverInterval):
		}
	}
}

func (d *Daemon) recoverOnce(ctx context.Context, stateDir string) error {
	d.volumes.Lock()
	defer d.volumes.Unlock()
	_, done, err := d.volumeManager(ctx, stateDir, &config.Volumes{})
	if err != nil {
		return err
	}
	done()
	return nil
}
