package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// consoleApps are the apps on the daemon's host as the console shows
// them: the volume module's plan (what Docker runs and what its labels
// decide), the volumes jobs that select each app, and what the last
// backups and drills did with it.
type consoleApps struct{ d *Daemon }

// Apps plans the host's volumes now. A daemon without volumes jobs looks
// at no Docker engine and shows no apps.
func (a consoleApps) Apps(ctx context.Context) (console.AppsReport, error) {
	rep := console.AppsReport{Apps: []console.App{}, Skipped: []console.SkippedVolume{}}
	cfg := a.d.config()
	if cfg == nil {
		return rep, nil
	}
	jobs := volumesJobs(cfg)
	if len(jobs) == 0 {
		return rep, nil
	}
	m, err := volume.New(volume.Options{StateDir: cfg.StateDir, Logger: a.d.log, IncludeBinds: includeBinds(cfg, jobs)})
	if err != nil {
		return rep, err
	}
	defer m.Close()
	p, err := m.Plan(ctx)
	if err != nil {
		return rep, fmt.Errorf("list the apps on this host (is the Docker daemon reachable?): %w", err)
	}
	rep.Warnings = p.Warnings
	mounted := mountedBy(p)
	inApp := map[string]bool{} // skipped volumes shown with an app
	st := a.d.Status()
	var ops []oplog.Operation
	if a.d.history != nil {
		ops = a.d.history.List(0)
	}
	for _, app := range p.Apps {
		ca := consoleApp(app)
		ca.Jobs = append(ca.Jobs, appJobs(cfg, p, app.Name)...)
		if ca.MaxDowntimeSeconds == 0 && len(ca.Jobs) > 0 {
			ca.MaxDowntimeSeconds = time.Duration(cfg.Jobs[ca.Jobs[0]].Volumes.MaxDowntime).Seconds()
		}
		for _, sk := range p.Skipped {
			if mountedByAny(mounted[skipKey(sk)], app) {
				ca.Skipped = append(ca.Skipped, skippedVolume(sk))
				inApp[skipKey(sk)] = true
			}
		}
		ca.LastDowntime = lastDowntime(ops, app.Name)
		ca.LastDrill = newerDrill(lastDrill(st, app.Name), a.d.drills.last(app.Name))
		ca.DrillDue, ca.DrillStale = drillDue(cfg, st, ca.Jobs, ca.LastDrill, time.Now())
		rep.Apps = append(rep.Apps, ca)
	}
	for _, sk := range p.Skipped {
		if !inApp[skipKey(sk)] {
			rep.Skipped = append(rep.Skipped, skippedVolume(sk))
		}
	}
	return rep, nil
}

// volumesJobs names cfg's volumes jobs, sorted.
func volumesJobs(cfg *config.Config) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(cfg.Jobs)) {
		if j := cfg.Jobs[name]; j != nil && j.Volumes != nil {
			out = append(out, name)
		}
	}
	return out
}

// includeBinds says whether any of cfg's volumes jobs backs up bind
// mounts: the plan then shows them.
func includeBinds(cfg *config.Config, jobs []string) bool {
	for _, name := range jobs {
		if cfg.Jobs[name].Volumes.IncludeBinds {
			return true
		}
	}
	return false
}

// appJobs names cfg's volumes jobs that back up app of plan p, sorted.
func appJobs(cfg *config.Config, p *appplan.Plan, app string) []string {
	var out []string
	for _, name := range volumesJobs(cfg) {
		if selects(p, cfg.Jobs[name].Volumes.Select, app) {
			out = append(out, name)
		}
	}
	return out
}

// selects says whether a volumes job with these selectors backs up app,
// as its runs select (backup.SelectApps); a selector naming nothing on
// the host selects nothing rather than failing the view.
func selects(p *appplan.Plan, selectors []string, app string) bool {
	if len(selectors) == 0 {
		return true
	}
	for _, s := range selectors {
		q, err := backup.SelectApps(p, []string{s})
		if err == nil && slices.ContainsFunc(q.Apps, func(a *appplan.App) bool { return a.Name == app }) {
			return true
		}
	}
	return false
}

func consoleApp(app *appplan.App) console.App {
	ca := console.App{Name: app.Name, Jobs: []string{}, Volumes: []console.AppVolume{}, Containers: []console.AppContainer{},
		Skipped: []console.SkippedVolume{}, MaxDowntimeSeconds: app.MaxDowntime.Seconds()}
	if app.Err != nil {
		ca.Error = app.Err.Error()
	}
	for _, v := range app.Volumes {
		ca.Volumes = append(ca.Volumes, console.AppVolume{Name: v.Name, Bind: v.Bind, Tier: string(v.Tier), Reason: v.Reason, MountedBy: v.MountedBy})
	}
	for _, d := range app.Stop {
		ca.Containers = append(ca.Containers, console.AppContainer{Name: d.Container.Name, Running: d.Running, Action: string(d.Action), Reason: d.Reason})
	}
	for _, d := range app.Kept {
		ca.Containers = append(ca.Containers, console.AppContainer{Name: d.Container.Name, Running: d.Running, Action: "keep", Reason: d.Reason})
	}
	return ca
}

func skippedVolume(sk appplan.Skip) console.SkippedVolume {
	return console.SkippedVolume{Name: sk.Name, Bind: sk.Bind, Tier: string(sk.Tier), Reason: sk.Reason}
}

func skipKey(sk appplan.Skip) string {
	if sk.Bind {
		return "b:" + sk.Name
	}
	return "v:" + sk.Name
}

// mountedBy maps each volume ("v:name") and bind mount ("b:path") to the
// containers that mount it.
func mountedBy(p *appplan.Plan) map[string][]string {
	out := map[string][]string{}
	for _, c := range p.Graph().Containers() {
		for _, m := range c.Mounts {
			key := "v:" + m.Name
			if m.Bind {
				key = "b:" + m.Name
			}
			out[key] = append(out[key], c.Name)
		}
	}
	return out
}

func mountedByAny(containers []string, app *appplan.App) bool {
	return slices.ContainsFunc(app.Containers, func(c appplan.ContainerRef) bool { return slices.Contains(containers, c.Name) })
}

// lastDowntime is the app's downtime in the newest backup of the history
// that saved it (ops newest first).
func lastDowntime(ops []oplog.Operation, app string) *console.Downtime {
	for _, op := range ops {
		secs, ok := op.Downtime[app]
		if op.Kind != KindBackup || !ok {
			continue
		}
		at := op.Started
		if op.Finished != nil {
			at = *op.Finished
		}
		return &console.Downtime{Seconds: secs, Time: at, Job: op.Job}
	}
	return nil
}

// lastDrill is the app's newest restore drill among the verify runs the
// daemon remembers.
func lastDrill(st Status, app string) *console.Drill {
	var out *console.Drill
	for _, js := range st.Jobs {
		r := js.LastRun
		if js.Kind != KindVerify || r == nil || (out != nil && !r.End.After(out.Time)) {
			continue
		}
		for _, dr := range r.Drills {
			if dr.App == app {
				out = &console.Drill{Time: r.End, Passed: dr.Passed, Seconds: dr.Seconds, Snapshot: dr.Snapshot, Job: js.Job, Error: dr.Error}
			}
		}
	}
	return out
}

// Drill starts a restore drill of app now (Daemon.DrillApp) for the
// console. A drill of the app that runs already is console.ErrRunning
// (409); ErrNoApp, ErrNotBackedUp and ErrNoSnapshot say there is nothing
// to drill (404), ErrNoDocker that Docker cannot be reached (503).
func (a consoleApps) Drill(ctx context.Context, app string) (oplog.Operation, error) {
	op, err := a.d.DrillApp(ctx, app)
	switch {
	case errors.Is(err, ErrDrillRunning):
		return op, fmt.Errorf("%w: %w", console.ErrRunning, err)
	case errors.Is(err, ErrNoApp), errors.Is(err, ErrNotBackedUp):
		return op, fmt.Errorf("%w: %w", console.ErrNothingToDrill, err)
	case errors.Is(err, ErrNoDocker):
		return op, fmt.Errorf("%w: %w", console.ErrNoDocker, err)
	}
	return op, err
}
