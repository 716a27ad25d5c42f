package volume

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/drydock-backup/drydock/internal/errjoin"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// Pass says which of the two backup passes a BackupFunc is called for.
type Pass int

const (
	// PassWarm runs while the app is up: it uploads most of the data so
	// that the final pass only has to add what changed since.
	PassWarm Pass = 1
	// PassFinal runs while the app's writers are stopped: it reads what
	// the snapshot of record holds. It should only read: whatever can wait
	// for the app to run again belongs in PassCommit.
	PassFinal Pass = 2
	// PassCommit runs after the app was started again, if PassFinal
	// succeeded: uploading and writing the snapshot of record cost no
	// downtime there. Its failure fails the app's backup.
	PassCommit Pass = 3
)

func (p Pass) String() string {
	switch p {
	case PassWarm:
		return "warm"
	case PassFinal:
		return "final"
	case PassCommit:
		return "commit"
	}
	return fmt.Sprintf("pass(%d)", int(p))
}

// BackupFunc backs up app's volumes (app.Volumes[i].Mountpoint on the host)
// and tags the snapshot with app.Tags and each volume's Tags. It must return
// promptly once ctx is done: during PassFinal, ctx ends at the app's
// maximum downtime.
type BackupFunc func(ctx context.Context, app appplan.App, pass Pass) error

// Step is what an app's backup does between its passes, for a status
// line.
type Step string

const (
	// StepStopping: the app's writers are being stopped (frozen, scaled).
	StepStopping Step = "stopping"
	// StepStarting: what was stopped is being started again.
	StepStarting Step = "starting"
)

// StepFunc is told of each step of app's backup with the names of the
// containers (and Swarm services) it concerns.
type StepFunc func(app string, step Step, names []string)

// Result is the outcome of one app's backup.
type Result struct {
	App     string
	Volumes []string
	Stopped []appplan.ContainerRef // containers stopped and started again
	// Downtime is the time the app was down for the final pass, from the
	// first stop, pause or scale to 0 to the last start, unpause or scale
	// back; 0 when nothing was touched.
	Downtime time.Duration
	// Paused are the containers frozen (drydock.stop=pause) and thawed;
	// Frozen is the time from the first pause to the last unpause (part
	// of Downtime), 0 when none was paused.
	Paused []appplan.ContainerRef
	Frozen time.Duration
	// Scaled are the Swarm services scaled to 0 and back.
	Scaled []ScaledService
	// Killed are the stopped containers that did not exit on their stop
	// signal within their stop timeout, so Docker killed them: a warning,
	// since for a database that is a crash.
	Killed []Kill
	Err    error
}

// Backup plans and backs up every app; see BackupPlan.
func (m *Manager) Backup(ctx context.Context, fn BackupFunc) ([]Result, error) {
	p, err := m.Plan(ctx)
	if err != nil {
		return nil, err
	}
	return m.BackupPlan(ctx, p, fn)
}

// BackupPlan backs up the apps of p one after another:
//
//  1. pre hooks (in running containers); a failure aborts the app
//  2. fn(PassWarm) while the app runs
//  3. stop the app's writers and their consumers, in stop order
//  4. fn(PassFinal), bounded by the app's maximum downtime: App.MaxDowntime
//     (drydock.max-downtime) if set, else Options.MaxDowntime
//  5. start what was stopped, providers first, whatever happened above
//  6. fn(PassCommit) if the final pass succeeded
//  7. post hooks, always, their failures joined
//
// After ctx is cancelled no further app is started. The failures of all
// apps are joined; each Result carries its own.
func (m *Manager) BackupPlan(ctx context.Context, p *appplan.Plan, fn BackupFunc) ([]Result, error) {
	return m.BackupPlanSteps(ctx, p, fn, nil)
}

// BackupPlanSteps is BackupPlan that tells steps (if not nil) when each
// app is being stopped and started again.
func (m *Manager) BackupPlanSteps(ctx context.Context, p *appplan.Plan, fn BackupFunc, steps StepFunc) ([]Result, error) {
	if steps == nil {
		steps = func(string, Step, []string) {}
	}
	var results []Result
	var errs []error
	for _, a := range p.Apps {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("app %s: not started: %w", a.Name, context.Cause(ctx)))
			results = append(results, Result{App: a.Name, Err: err})
			continue
		}
		r := m.backupApp(ctx, p, a, fn, steps)
		results = append(results, r)
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return results, errjoin.Join(errs...)
}

// stopOutcome is what the stopped phase did to an app's containers.
type stopOutcome struct {
	containers []appplan.ContainerRef // stopped and started again
	downtime   time.Duration
	killed     []Kill
	paused     []appplan.ContainerRef
	frozen     time.Duration
	scaled     []ScaledService
}

type passOutcome struct {
	err      error
	panicked any
}

func (m *Manager) backupApp(ctx context.Context, p *appplan.Plan, a *appplan.App, fn BackupFunc, steps StepFunc) (res Result) {
	res.App = a.Name
	for _, v := range a.Volumes {
		res.Volumes = append(res.Volumes, v.Name)
	}
	log := m.log.With("app", a.Name)
	fail := func(step string, err error) {
		if err != nil {
			res.Err = errjoin.Join(res.Err, fmt.Errorf("app %s: %s: %w", a.Name, step, err))
		}
	}
	if a.Err != nil {
		res.Err = a.Err
		return res
	}
	app, err := m.refreshMountpoints(ctx, a)
	if err != nil {
		fail("inspect volumes", err)
		return res
	}
	hooks := m.runningHooks(ctx, a.Hooks)
	app.Dumps, app.SkippedDumps = m.runningDumps(ctx, a.Dumps)
	// Post hooks always run, last, on a context the caller's cancellation
	// does not reach (each hook has its own timeout).
	defer func() { fail("post hooks", m.runHooks(context.WithoutCancel(ctx), hooks, "post")) }()
	if err := m.runHooks(ctx, hooks, "pre"); err != nil {
		fail("pre hooks", err)
		return res
	}
	log.Info("backup pass", "pass", PassWarm)
	if err := fn(ctx, app, PassWarm); err != nil {
		fail("warm pass", err)
		return res
	}

	stopped, err := m.stoppedPass(ctx, p, a, app, fn, steps)
	res.Stopped, res.Downtime, res.Killed = stopped.containers, stopped.downtime, stopped.killed
	res.Paused, res.Frozen, res.Scaled = stopped.paused, stopped.frozen, stopped.scaled
	if err != nil {
		res.Err = errjoin.Join(res.Err, fmt.Errorf("app %s: %w", a.Name, err))
	}
	return res
}

// stoppedPass stops a, runs the final pass and starts a again, on every
// path: error, panic (re-raised once the app runs), cancellation of ctx,
// and the app's maximum downtime (its drydock.max-downtime, else
// Options.MaxDowntime), at which the app is started without waiting for fn
// to return. Once the app runs again, a successful final pass is committed.
func (m *Manager) stoppedPass(ctx context.Context, p *appplan.Plan, a *appplan.App, app appplan.App, fn BackupFunc, steps StepFunc) (stopped stopOutcome, err error) {
	log := m.log.With("app", a.Name)
	limit, cause := m.maxDowntime(a)
	phase, cancel := context.WithTimeoutCause(ctx, limit, cause)
	defer cancel()
	s := newSession(m, p, a)
	var errs []error
	restarted := false
	restart := func() {
		if !restarted {
			restarted = true
			if len(app.Stopped) > 0 {
				steps(a.Name, StepStarting, app.Stopped)
			}
			if err := s.restart(ctx); err != nil {
				errs = append(errs, err)
			}
			stopped = stopOutcome{containers: s.stopped(appplan.ActionStop), downtime: s.downtime(), killed: s.kills(),
				paused: s.stopped(appplan.ActionPause), frozen: s.frozen(), scaled: s.scaled()}
			log.Info("app restarted", "downtime", stopped.downtime, "frozen", stopped.frozen)
		}
	}
	defer restart() // when stop panics
	if names := a.StopNames(); len(names) > 0 {
		steps(a.Name, StepStopping, names)
	}
	err = s.stop(phase)
	app.Stopped = s.stoppedNames()
	if err != nil {
		restart()
		return stopped, errjoin.Join(append([]error{fmt.Errorf("stop: %w", phaseErr(phase, err))}, errs...)...)
	}
	done := make(chan passOutcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				// Re-panicked on the caller's goroutine once the app runs
				// again; log the stack, which the re-panic loses.
				log.Error("final pass panicked", "panic", r, "stack", string(debug.Stack()))
				done <- passOutcome{panicked: r}
			}
		}()
		log.Info("backup pass", "pass", PassFinal)
		done <- passOutcome{err: fn(phase, app, PassFinal)}
	}()
	var out passOutcome
	select {
	case out = <-done:
		restart()
	case <-phase.Done():
		restart() // now, without waiting for fn to notice
		out = <-done
		if out.err == nil && out.panicked == nil {
			out.err = context.Cause(phase)
		}
	}
	if out.panicked != nil {
		panic(out.panicked)
	}
	if out.err != nil {
		errs = append([]error{fmt.Errorf("final pass: %w", phaseErr(phase, out.err))}, errs...)
		return stopped, errjoin.Join(errs...)
	}
	// What the final pass read is consistent whether or not every
	// container started again: commit it.
	log.Info("backup pass", "pass", PassCommit)
	if err := fn(ctx, app, PassCommit); err != nil {
		errs = append([]error{fmt.Errorf("commit: %w", err)}, errs...)
	}
	return stopped, errjoin.Join(errs...)
}

// maxDowntime returns how long app a may stay stopped, and the cause its
// stopped phase ends with at that deadline, which says where the limit
// comes from.
func (m *Manager) maxDowntime(a *appplan.App) (time.Duration, error) {
	if a.MaxDowntime > 0 {
		return a.MaxDowntime, fmt.Errorf("%w (%s)", ErrMaxDowntime, a.MaxDowntimeFrom)
	}
	return m.opts.MaxDowntime, fmt.Errorf("%w (%s)", ErrMaxDowntime, m.opts.MaxDowntime)
}

// phaseErr marks an error caused by the stopped phase's deadline as
// ErrMaxDowntime.
func phaseErr(phase context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(phase); errors.Is(cause, ErrMaxDowntime) && !errors.Is(err, ErrMaxDowntime) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// refreshMountpoints returns a copy of a with each volume's host path as
// Docker reports it now.
func (m *Manager) refreshMountpoints(ctx context.Context, a *appplan.App) (appplan.App, error) {
	app := *a
	app.Volumes = append([]appplan.Volume(nil), a.Volumes...)
	for i, v := range app.Volumes {
		if v.Bind {
			continue
		}
		vol, err := m.host.VolumeInspect(ctx, v.Name)
		if err != nil {
			return app, fmt.Errorf("inspect volume %s: %w", v.Name, err)
		}
		app.Volumes[i].Mountpoint = vol.Mountpoint
	}
	return app, nil
}

// runningHooks keeps the hooks whose container runs now: drydock does not
// start a stopped container to run its hook.
func (m *Manager) runningHooks(ctx context.Context, hooks []appplan.Hook) []appplan.Hook {
	var out []appplan.Hook
	for _, h := range hooks {
		if m.runs(ctx, h.Container) {
			out = append(out, h)
		}
	}
	return out
}
