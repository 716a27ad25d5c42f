package orchestrate

import (
	"context"
	"errors"
	"fmt"
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
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("restore drill: docker client: %w", err)
	}
	defer cli.Close()
	m := volume.NewWithClient(cli, volume.Options{StateDir: x.cfg.StateDir, Logger: x.d.log})
	if swept, err := drill.Sweep(ctx, cli, x.cfg.StateDir, x.d.log); err != nil {
		x.res.Warnings = append(x.res.Warnings, err.Error())
	} else if len(swept) > 0 {
		x.d.log.Warn("removed what interrupted restore drills left", "drills", swept)
	}
	gate := x.d.gate(x.job.Repository)
	gate.RLock()
	defer gate.RUnlock()
	return lockedLoading(ctx, r, func(ctx context.Context, sns []repo.Snapshot) error {
		env := apprestore.Env{Docker: cli, Volumes: m, Repo: r, Logger: x.d.log}
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

func (x *run) drill(ctx context.Context, env apprestore.Env, sn repo.Snapshot, app string) error {
	start := time.Now()
	dr := DrillResult{App: app, Snapshot: sn.ID.String()}
	def, err := appdef.Load(ctx, env.Repo, sn, app)
	if err == nil {
		var res *drill.Result
		res, err = drill.Run(ctx, env, def, drill.Options{Timeout: time.Duration(x.job.Verify.BootTimeout), StateDir: x.cfg.StateDir, Logger: x.d.log})
		if res != nil {
			x.res.Warnings = append(x.res.Warnings, res.Warnings...)
		}
	}
	dr.Seconds, dr.Passed = time.Since(start).Seconds(), err == nil
	if err != nil {
		err = fmt.Errorf("restore drill of app %s (snapshot %s): %w", app, sn.ID.Str(), err)
		dr.Error = err.Error()
	} else {
		x.d.log.Info("restore drill passed", "job", x.name, "app", app, "snapshot", sn.ID.Str(), "seconds", dr.Seconds)
	}
	x.res.Drills = append(x.res.Drills, dr)
	return err
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
