package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/drill"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// DrillResult is one app's restore drill in a verify run.
type DrillResult struct {
	App      string  `json:"app"`
	Snapshot string  `json:"snapshot"`
	Passed   bool    `json:"passed"`
	Seconds  float64 `json:"duration_seconds"`
	Error    string  `json:"error,omitempty"`
}

// drills runs a restore drill of each app of the job: the latest snapshot
// of each, booted as copies on scratch volumes. The real apps are never
// touched, so no host lock is taken. Every app is drilled; the failures
// are joined.
func (x *run) drills(ctx context.Context, r *repo.Repository) error {
	return x.withDrills(ctx, r, func(ctx context.Context, env apprestore.Env, sns []repo.Snapshot) error {
		var errs []error
		for _, sn := range latestPerPaths(x.ownSnapshots(sns)) {
			for _, app := range appdef.Apps(sn) {
				if err := x.drill(ctx, env, sn, app); err != nil {
					errs = append(errs, err)
				}
			}
		}
		return errors.Join(errs...)
	})
}

// withDrills calls fn to drill apps of the job's repository r: with a
// Docker client, after removing what interrupted drills left, with the
// repository shared with the daemon's other readers, under a
// non-exclusive lock, and with its snapshots loaded. A verify run and a
// drill asked for from the console (DrillApp) both drill through it.
func (x *run) withDrills(ctx context.Context, r *repo.Repository, fn func(ctx context.Context, env apprestore.Env, sns []repo.Snapshot) error) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("restore drill: docker client: %w", err)
	}
	defer cli.Close()
	m := volume.NewWithClient(cli, volume.Options{StateDir: x.cfg.StateDir, Logger: x.logger()})
	if swept, err := drill.Sweep(ctx, cli, x.cfg.StateDir, x.logger()); err != nil {
		x.res.Warnings = append(x.res.Warnings, err.Error())
	} else if len(swept) > 0 {
		x.logger().Warn("removed what interrupted restore drills left", "drills", swept)
	}
	gate := x.d.gate(x.job.Repository)
	gate.RLock()
	defer gate.RUnlock()
	return lockedLoading(ctx, r, func(ctx context.Context, sns []repo.Snapshot) error {
		return fn(ctx, apprestore.Env{Docker: cli, Volumes: m, Repo: r, Logger: x.logger()}, sns)
	})
}

// drill runs the restore drill of app in snapshot sn and records it in
// the run's result, where the status, the drill metric and the console's
// last drill read it; while it runs, a DrillApp of the app is refused.
func (x *run) drill(ctx context.Context, env apprestore.Env, sn repo.Snapshot, app string) error {
	release := x.d.drills.begin(app)
	defer release()
	start := time.Now()
	dr := DrillResult{App: app, Snapshot: sn.ID.String()}
	def, err := appdef.Load(ctx, env.Repo, sn, app)
	if err == nil {
		var res *drill.Result
		res, err = drill.Run(ctx, env, def, drill.Options{Timeout: x.bootTimeout(), StateDir: x.cfg.StateDir, Logger: x.logger()})
		if res != nil {
			x.res.Warnings = append(x.res.Warnings, res.Warnings...)
			x.drillDone(res)
		}
	}
	dr.Seconds, dr.Passed = time.Since(start).Seconds(), err == nil
	if err != nil {
		err = fmt.Errorf("restore drill of app %s (snapshot %s): %w", app, sn.ID.Str(), err)
		dr.Error = err.Error()
	} else {
		x.logger().Info("restore drill passed", "job", x.name, "app", app, "snapshot", sn.ID.Str(), "seconds", dr.Seconds)
	}
	x.res.Drills = append(x.res.Drills, dr)
	return err
}

// bootTimeout bounds each drill's boot and checks: the job's
// verify.boot_timeout, else drill.DefaultTimeout.
func (x *run) bootTimeout() time.Duration {
	if x.job.Verify == nil {
		return 0 // drill.Run's default
	}
	return time.Duration(x.job.Verify.BootTimeout)
}

// logger is where the run logs: the daemon's log, or for a drill asked
// for from the console also its operation's log lines.
func (x *run) logger() *slog.Logger {
	if x.log != nil {
		return x.log
	}
	return x.d.log
}

// drillDone hands a drill's full result to the run's onDrill, if any.
func (x *run) drillDone(res *drill.Result) {
	if x.onDrill != nil {
		x.onDrill(res)
	}
}

// sweepDrills removes, at start, what restore drills of a killed drydock
// left (their journal in the state directory), if any job drills.
func (d *Daemon) sweepDrills(ctx context.Context, cfg *config.Config) {
	if !slices.ContainsFunc(slices.Collect(maps.Values(cfg.Jobs)), func(j *config.Job) bool { return j.Verify != nil && j.Verify.Boot }) {
		return
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		d.log.Warn("cannot remove what interrupted restore drills left", "err", err)
		return
	}
	defer cli.Close()
	swept, err := drill.Sweep(ctx, cli, cfg.StateDir, d.log)
	if err != nil {
		d.log.Warn("cannot remove what interrupted restore drills left; the next drill tries again", "err", err)
	} else if len(swept) > 0 {
		d.log.Warn("removed what interrupted restore drills left", "drills", swept)
	}
}
