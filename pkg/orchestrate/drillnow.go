package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/drill"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// KindDrill is the history's kind of a restore drill asked for outside a
// verify run (DrillApp).
const KindDrill = "drill"

// Why DrillApp refuses a drill. ErrNoApp, ErrNotBackedUp and
// ErrNoSnapshot say there is nothing to drill (404); ErrDrillRunning that
// a drill of the app runs already (409); ErrNoDocker that the Docker
// engine cannot be reached (503).
var (
	ErrNoApp        = errors.New("no such app on this host")
	ErrNotBackedUp  = errors.New("no volumes job backs the app up")
	ErrNoSnapshot   = fmt.Errorf("no snapshot of the app yet: %w", repo.ErrSnapshotNotFound)
	ErrDrillRunning = errors.New("a restore drill of the app runs already")
	ErrNoDocker     = errors.New("the Docker engine cannot be reached")
)

// DrillApp starts a restore drill of app now, as a verify run with boot
// does it: the app's latest snapshot from the volumes job that backs it
// up, booted as copies on scratch volumes, the real app untouched. It
// returns at once the operation of the history that follows the drill
// (kind drill, the job's name, trigger manual); the drill runs on the
// daemon's context, so that a stopping daemon cancels it and records it
// as interrupted. What it finds is the app's last drill in the console.
func (d *Daemon) DrillApp(ctx context.Context, app string) (oplog.Operation, error) {
	cfg, base := d.config(), d.base
	if cfg == nil || base == nil {
		return oplog.Operation{}, errStopping
	}
	job, sn, err := d.drillTarget(ctx, cfg, app)
	if err != nil {
		return oplog.Operation{}, err
	}
	release, err := d.drills.claim(app)
	if err != nil {
		return oplog.Operation{}, err
	}
	if err := d.beginOperation(); err != nil {
		release()
		return oplog.Operation{}, err
	}
	op := d.startDrillOperation(job, cfg.Jobs[job].Repository, app, sn)
	go func() {
		defer d.running.Done()
		defer release()
		d.runDrill(base, cfg, job, app, op)
	}()
	d.log.Info("restore drill asked for", "app", app, "job", job, "operation", op.ID)
	return op, nil
}

// beginOperation registers a run outside the schedule unless the daemon
// is stopping; the caller calls d.running.Done when it ends.
func (d *Daemon) beginOperation() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopping {
		return errStopping
	}
	d.running.Add(1)
	return nil
}

// drillTarget finds, on the host as Docker runs it now, the volumes job
// that backs app up and has the newest snapshot of it (which the drill
// takes again under its lock, as a newer one may come meanwhile).
func (d *Daemon) drillTarget(ctx context.Context, cfg *config.Config, app string) (string, repo.Snapshot, error) {
	p, err := d.planHost(ctx, cfg)
	if err != nil {
		return "", repo.Snapshot{}, err
	}
	if !slices.ContainsFunc(p.Apps, func(a *appplan.App) bool { return a.Name == app }) {
		return "", repo.Snapshot{}, fmt.Errorf("%w: %s (the apps are named as the console's overview and drydock volumes ls show them)", ErrNoApp, app)
	}
	jobs := appJobs(cfg, p, app)
	if len(jobs) == 0 {
		return "", repo.Snapshot{}, fmt.Errorf("%w: app %s (add it to a volumes job's select)", ErrNotBackedUp, app)
	}
	var job string
	var best repo.Snapshot
	var errs []error
	for _, name := range jobs {
		sn, err := d.latestOfApp(ctx, cfg, name, app)
		switch {
		case errors.Is(err, repo.ErrSnapshotNotFound):
		case err != nil:
			errs = append(errs, err)
		case job == "" || sn.Time.After(best.Time):
			job, best = name, sn
		}
	}
	if job == "" && len(errs) > 0 {
		return "", repo.Snapshot{}, errors.Join(errs...)
	}
	if job == "" {
		return "", repo.Snapshot{}, fmt.Errorf("%w: app %s, backed up by job %v (run its backup first)", ErrNoSnapshot, app, jobs)
	}
	return job, best, nil
}

// planHost plans the host's volumes as the volumes jobs see them.
func (d *Daemon) planHost(ctx context.Context, cfg *config.Config) (*appplan.Plan, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx); err != nil {
		return nil, fmt.Errorf("%w (is dockerd running, and DOCKER_HOST right?): %w", ErrNoDocker, err)
	}
	m := volume.NewWithClient(cli, volume.Options{StateDir: cfg.StateDir, Logger: d.log, IncludeBinds: includeBinds(cfg, volumesJobs(cfg))})
	p, err := m.Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the apps on this host: %w", err)
	}
	return p, nil
}

// latestOfApp is job's newest snapshot of app from this host;
// repo.ErrSnapshotNotFound if it has none.
func (d *Daemon) latestOfApp(ctx context.Context, cfg *config.Config, job, app string) (repo.Snapshot, error) {
	name := cfg.Jobs[job].Repository
	r, _, release, err := d.pool.acquire(ctx, name, cfg.Repositories[name], useRead, d.opener(cfg, name))
	if err != nil {
		return repo.Snapshot{}, fmt.Errorf("repository %s of job %s: %w", name, job, err)
	}
	sns, err := r.ReadableSnapshots(ctx)
	release(!keepAfter(err))
	if err != nil {
		return repo.Snapshot{}, fmt.Errorf("list the snapshots of repository %s: %w", name, err)
	}
	x := &run{d: d, cfg: cfg, name: job, job: cfg.Jobs[job]}
	return appdef.Latest(x.ownSnapshots(sns), app)
}

// startDrillOperation records the drill's start in the history.
func (d *Daemon) startDrillOperation(job, repository, app string, sn repo.Snapshot) oplog.Operation {
	if d.history == nil {
		return oplog.Operation{}
	}
	op, err := d.history.Start(oplog.Operation{Kind: KindDrill, Job: job, Repository: repository, Trigger: oplog.Manual})
	if err != nil {
		d.log.Warn("cannot record the restore drill in the history", "app", app, "err", err)
		return op
	}
	d.history.Update(op.ID, func(o *oplog.Operation) {
		oplog.AddLine(o, "info", fmt.Sprintf("restore drill of app %s: its latest snapshot of job %s in repository %s (now %s of %s)",
			app, job, repository, sn.ID.Str(), sn.Time.Format("2006-01-02 15:04:05")))
	})
	return op
}

// runDrill runs the drill DrillApp started and records how it went: in
// the history, as the app's last drill, and in the drill metric.
func (d *Daemon) runDrill(ctx context.Context, cfg *config.Config, job, app string, op oplog.Operation) {
	x := &run{d: d, cfg: cfg, name: job, job: cfg.Jobs[job], res: &RunResult{Start: time.Now()}, log: d.operationLogger(op.ID)}
	var full *drill.Result
	x.onDrill = func(res *drill.Result) { full = res }
	err := d.drillLatest(ctx, x, app)
	end := time.Now()
	stopped := err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
	if len(x.res.Drills) > 0 && !stopped {
		dr := x.res.Drills[0]
		d.drills.record(job, end, dr)
		if dr.Passed {
			d.metrics.drillSuccess.WithLabelValues(job, app).Set(float64(end.Unix()))
		}
	}
	switch {
	case stopped:
		err = fmt.Errorf("interrupted: drydock is stopping: %w", err)
		d.log.Warn("restore drill interrupted: drydock is stopping", "app", app, "job", job)
	case err != nil:
		d.log.Error("restore drill failed", "app", app, "job", job, "err", err)
	}
	d.finishDrillOperation(op, x.res, full, err, stopped)
}

// drillLatest drills the newest snapshot of app that run x's job has.
func (d *Daemon) drillLatest(ctx context.Context, x *run, app string) (err error) {
	r, _, release, err := d.pool.acquire(ctx, x.job.Repository, x.cfg.Repositories[x.job.Repository], useRun, d.opener(x.cfg, x.job.Repository))
	if err != nil {
		return err
	}
	defer func() { release(!keepAfter(err)) }()
	return x.withDrills(ctx, r, func(ctx context.Context, env apprestore.Env, sns []repo.Snapshot) error {
		sn, err := appdef.Latest(x.ownSnapshots(sns), app)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNoSnapshot, err)
		}
		return x.drill(ctx, env, sn, app)
	})
}

// finishDrillOperation records the end of a drill with what it did as
// log lines: its volumes and copies, its warnings, and how it ended
// (stopped: cut short by the daemon's stop).
func (d *Daemon) finishDrillOperation(op oplog.Operation, res *RunResult, full *drill.Result, err error, stopped bool) {
	if d.history == nil || op.ID == "" {
		return
	}
	ferr := d.history.Finish(op.ID, err, func(o *oplog.Operation) {
		if full != nil {
			o.Bytes = 0
			for _, v := range full.Volumes {
				o.Bytes += v.Bytes
			}
			for _, line := range drillLines(full) {
				oplog.AddLine(o, line.level, line.text)
			}
		}
		for _, w := range res.Warnings {
			oplog.AddLine(o, "warning", w)
		}
		switch {
		case stopped:
			oplog.AddLine(o, "warning", "drydock stopped during the restore drill: it neither passed nor failed, and is not the app's last drill")
		case err != nil:
			oplog.AddLine(o, "error", err.Error())
		}
	})
	if ferr != nil {
		d.log.Warn("cannot record the end of the restore drill in the history", "job", op.Job, "err", ferr)
	}
}

// drillLines say what a drill did, as the history's log shows it.
func drillLines(res *drill.Result) []runLine {
	var out []runLine
	for _, v := range res.Volumes {
		text := fmt.Sprintf("volume %s: %d files, %d bytes restored into scratch volume %s", v.Name, v.Files, v.Bytes, v.Scratch)
		switch {
		case v.Empty && v.Excluded != "":
			text = fmt.Sprintf("volume %s: not backed up (%s), booted empty", v.Name, v.Excluded)
		case v.Empty:
			text = fmt.Sprintf("volume %s: not in the snapshot, booted empty", v.Name)
		}
		out = append(out, runLine{"info", text})
	}
	for _, c := range res.Containers {
		text := fmt.Sprintf("container %s booted as %s", c.Name, c.Copy)
		if c.Health != "" {
			text += ", " + c.Health
		}
		switch {
		case c.Verify != nil && strings.TrimSpace(c.Output) == "":
			text += fmt.Sprintf(", drydock.verify %q gave no output", c.Verify)
		case c.Verify != nil:
			text += fmt.Sprintf(", drydock.verify %q said: %s", c.Verify, strings.TrimSpace(c.Output))
		}
		if c.Running {
			text += ", running"
		}
		out = append(out, runLine{"info", text})
	}
	if !res.CleanedUp {
		out = append(out, runLine{"warning", "removing what the drill made failed: the next drydock start tries again"})
	}
	return out
}
