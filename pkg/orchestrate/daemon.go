package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"

	"github.com/drydock-backup/drydock/internal/statedir"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// Options tune a Daemon.
type Options struct {
	// Program is recorded in snapshots ("drydock 0.1.0").
	Program string
	Logger  *slog.Logger
	// Getenv supplies the environment (S3 credentials, DOCKER_HOST).
	Getenv func(string) string
	// SdNotify, if set, receives systemd notify states (READY=1, ...).
	SdNotify func(state string)
}

// Daemon runs a configuration's jobs on their schedules.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	sched   gocron.Scheduler
	started time.Time

	mu       sync.Mutex
	cfg      *config.Config
	notifier *notifier
	tasks    map[taskKey]*task
	gates    map[string]*sync.RWMutex
	stopping bool
	// leftLocks are lock files, by repository, that jobs failed to remove:
	// the repository's next lock removes them, on whichever handle.
	leftLocks map[string]*repo.LeftLocks
	running   sync.WaitGroup
	addr      net.Addr      // of the HTTP endpoints, once listening
	ready     chan struct{} // closed once jobs are scheduled

	volumes sync.Mutex // one volumes backup at a time
	// unchangedMu serialises updates of the state directory's unchangedFile.
	unchangedMu sync.Mutex
	pool        *repoPool // open repositories, kept warm between runs
	// owner marks our repository locks and finds those of a killed agent
	// of this state directory (lockowner.go); nil without one.
	owner repo.LockOwner
	// history records every run (history.go); nil if it cannot be kept.
	history *oplog.Log
	// drills are the restore drills running and those DrillApp ran.
	drills drillBook
	// base is Run's context: runs asked for outside a schedule use it.
	base context.Context
}

// taskKey names a task: a job's backup, its verification, or its copy
// to destination dest.
type taskKey struct{ job, kind, dest string }

// task is a scheduled job kind with its status.
type task struct {
	status JobStatus
	id     uuid.UUID
	gjob   gocron.Job // nil for a copy run after each backup
	jitter time.Duration
}

// New checks cfg's repositories and notification targets and prepares a
// daemon; Run starts it.
func New(cfg *config.Config, opts Options) (*Daemon, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.SdNotify == nil {
		opts.SdNotify = func(string) {}
	}
	sched, err := gocron.NewScheduler()
	if err != nil {
		return nil, err
	}
	d := &Daemon{opts: opts, log: opts.Logger, metrics: newMetrics(), sched: sched,
		tasks: map[taskKey]*task{}, gates: map[string]*sync.RWMutex{}, ready: make(chan struct{}),
		leftLocks: map[string]*repo.LeftLocks{}}
	d.pool = newRepoPool(func(name string) { d.metrics.repoOpens.WithLabelValues(name).Inc() })
	return d, nil
}

// Preflight fails fast on what would make every run fail: a state
// directory that cannot be created, a repository that cannot be opened
// (unreachable, missing, wrong password), a bad notification target. With
// create, repositories marked init are created if missing; without, they
// are accepted as missing and nothing is written (config check).
func Preflight(ctx context.Context, cfg *config.Config, getenv func(string) string, log *slog.Logger, create bool) error {
	return preflight(ctx, cfg, getenv, log, create, nil)
}

// preflight is Preflight that, with owner, also removes from each
// repository the locks of killed drydocks of this installation. With
// create (the daemon's start and reload), a repository that is only a
// copy destination does not stop the daemon: an offsite store that is
// down must not stop the backups, and each copy run reports it (behind).
func preflight(ctx context.Context, cfg *config.Config, getenv func(string) string, log *slog.Logger, create bool, owner repo.LockOwner) error {
	if create {
		if err := statedir.Ensure(cfg.StateDir, log); err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Repositories)) {
		rc := cfg.Repositories[name]
		if rc.Init && !create {
			if _, err := os.Stat(rc.PasswordFile); errors.Is(err, os.ErrNotExist) {
				continue // created with the repository at the first start
			}
		}
		r, err := openRepo(ctx, name, rc, "", getenv, log, create, owner, nil)
		if !create && rc.Init && errors.Is(err, repo.ErrNoRepository) {
			continue
		}
		if err != nil && create && copyOnly(cfg, name) {
			log.Warn("a copy destination cannot be opened; its copies will fail until it can", "repository", name, "err", err)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removeDeadLocks(ctx, name, r, log)
		r.Backend().Close()
	}
	if _, err := newNotifier(cfg, "", log, func() {}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run serves the endpoints and runs the jobs until ctx is cancelled, then
// waits for running jobs, which restart any containers they stopped.
func (d *Daemon) Run(ctx context.Context, cfg *config.Config) error {
	// Containers a killed run left stopped come first, before anything
	// that needs a repository (which may be unreachable): one attempt now,
	// then retries in the background once running.
	recovered := !stoppedByEarlierRun(ctx, cfg)
	if !recovered {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := d.recoverOnce(rctx, cfg.StateDir)
		cancel()
		if recovered = err == nil; !recovered {
			d.log.Error("cannot start the containers an earlier run left stopped; will keep trying", "err", err)
		}
	}
	d.sweepDrills(ctx, cfg)
	d.base = ctx
	d.openHistory(cfg.StateDir)
	closeOwner := d.openLockOwner(cfg.StateDir)
	defer closeOwner()
	// The scheduler's goroutine runs from New on: a start that fails ends it.
	abort := func(err error) error {
		_ = d.sched.Shutdown()
		return err
	}
	if err := preflight(ctx, cfg, d.opts.Getenv, d.log, true, d.owner); err != nil {
		return abort(err)
	}
	d.started = time.Now()
	wc, err := d.openConsole(ctx, cfg)
	if err != nil {
		return abort(err)
	}
	if wc != nil {
		defer wc.close(d.log)
	}
	srv, err := d.serve(cfg.Listen, wc)
	if err != nil {
		return abort(err)
	}
	if err := d.apply(ctx, cfg); err != nil {
		if srv != nil {
			srv.Close()
		}
		return abort(err)
	}
	d.sched.Start()
	if !recovered {
		d.running.Add(1)
		go func() {
			defer d.running.Done()
			d.recoverVolumes(ctx, cfg.StateDir)
		}()
	}
	d.running.Add(1)
	go func() {
		defer d.running.Done()
		d.seedLastSuccess(ctx, cfg)
		d.seedBehind(ctx, cfg)
	}()
	d.opts.SdNotify("READY=1")
	close(d.ready)
	d.log.Info("drydock daemon started", "config", configName(cfg), "jobs", len(cfg.Jobs), "listen", cfg.Listen)
	<-ctx.Done()
	d.opts.SdNotify("STOPPING=1")
	d.log.Info("stopping: waiting for running jobs to restart what they stopped")
	d.mu.Lock()
	d.stopping = true
	d.mu.Unlock()
	wc.stop(d.log) // the console's restores, cancelled and recorded
	d.running.Wait()
	d.pool.closeAll()
	err = d.sched.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if srv != nil {
		err = errors.Join(err, srv.Shutdown(sctx))
	}
	d.log.Info("drydock daemon stopped")
	return err
}

// Reload replaces the configuration: it is checked first, and on error
// the old one stays in force. Running jobs finish with the old one.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	d.opts.SdNotify("RELOADING=1")
	defer d.opts.SdNotify("READY=1")
	if err := preflight(ctx, cfg, d.opts.Getenv, d.log, true, d.owner); err != nil {
		return err
	}
	old := d.config()
	if old != nil && old.Listen != cfg.Listen {
		d.log.Warn("listen changed: restart drydock to apply it", "listen", old.Listen)
	}
	if old != nil && consoleChanged(old, cfg) {
		d.log.Warn("the console's settings or repositories changed: restart drydock to apply them to the console; the jobs use the new ones now")
	}
	if err := d.apply(ctx, cfg); err != nil {
		return err
	}
	d.log.Info("configuration reloaded", "config", configName(cfg), "jobs", len(cfg.Jobs))
	return nil
}

func configName(cfg *config.Config) string {
	if cfg.File == "" {
		return "(embedded default)"
	}
	return cfg.File
}

func (d *Daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// gate is the in-process read-write mutex of a repository.
func (d *Daemon) gate(repository string) *sync.RWMutex {
	_, g := d.gateOf(repository)
	return g
}

// gateOf is gate with the location it is kept by (never shown).
func (d *Daemon) gateOf(repository string) (string, *sync.RWMutex) {
	d.mu.Lock()
	defer d.mu.Unlock()
	loc := repository
	if rc := d.cfg.Repositories[repository]; rc != nil {
		loc = rc.Location.Reveal()
	}
	g := d.gates[loc]
	if g == nil {
		g = &sync.RWMutex{}
		d.gates[loc] = g
	}
	return loc, g
}

// apply schedules cfg's jobs in place of the current ones. The new jobs
// are scheduled first and the old ones removed only then, so that a
// failure leaves the old schedule whole. A task that stays keeps its
// status, and its running flag: a run in progress is never overlapped by
// the same job's new schedule.
func (d *Daemon) apply(ctx context.Context, cfg *config.Config) error {
	n, err := newNotifier(cfg, hostName(cfg), d.log, d.metrics.notifyFailed.Inc)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	type added struct {
		key taskKey
		id  uuid.UUID
		job gocron.Job
		t   taskSpec
	}
	var next []added
	undo := func() {
		for _, a := range next {
			_ = d.sched.RemoveJob(a.id)
		}
	}
	for _, spec := range taskSpecs(cfg) {
		key := taskKey{spec.job, spec.kind, spec.dest}
		if spec.afterBackup {
			next = append(next, added{key: key, t: spec}) // run by the backup, not scheduled
			continue
		}
		gj, err := d.sched.NewJob(gocron.CronJob(spec.schedule, true),
			gocron.NewTask(func() { d.execute(ctx, cfg, key) }),
			gocron.WithName(strings.TrimSpace(spec.job+" "+spec.kind+" "+spec.dest)),
			gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			undo()
			return fmt.Errorf("schedule job %s (%s %q): %w", spec.job, spec.kind, spec.schedule, err)
		}
		next = append(next, added{key, gj.ID(), gj, spec})
	}
	for _, t := range d.tasks {
		if err := d.sched.RemoveJob(t.id); err != nil && !errors.Is(err, gocron.ErrJobNotFound) {
			d.log.Warn("cannot unschedule a job of the old configuration", "job", t.status.Job, "err", err)
		}
	}
	tasks := map[taskKey]*task{}
	for _, a := range next {
		t := d.tasks[a.key]
		if t == nil {
			t = &task{status: JobStatus{Job: a.key.job, Kind: a.key.kind, Destination: a.key.dest}}
		}
		t.status.Repository, t.status.Schedule, t.jitter = a.t.repository, a.t.schedule, a.t.jitter
		t.status.AfterBackup = a.t.afterBackup
		t.id, t.gjob = a.id, a.job
		tasks[a.key] = t
	}
	for key := range d.tasks {
		switch {
		case tasks[key] != nil:
		case key.kind == KindCopy:
			d.metrics.forgetCopy(key.job, key.dest)
		default:
			d.metrics.forget(key.job)
		}
	}
	d.tasks, d.cfg, d.notifier = tasks, cfg, n
	d.pool.retain(cfg)
	return nil
}

// Why begin refuses a run.
var (
	errNoTask   = errors.New("no such job")
	errRunning  = errors.New("the job runs already")
	errStopping = errors.New("drydock is stopping")
)

// begin registers a run of a task unless the daemon is stopping, the
// task is gone (a reload removed it) or it is still running.
func (d *Daemon) begin(key taskKey) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tasks[key]
	switch {
	case d.stopping:
		return nil, errStopping
	case t == nil:
		return nil, fmt.Errorf("%w: %s (%s)", errNoTask, key.job, key.kind)
	case t.status.Running:
		return nil, errRunning
	}
	d.running.Add(1)
	t.status.Running = true
	return t, nil
}

// execute is one scheduled run of a task.
func (d *Daemon) execute(ctx context.Context, cfg *config.Config, key taskKey) {
	t, err := d.begin(key)
	if errors.Is(err, errRunning) {
		d.log.Warn("job still running: this run is skipped", "job", key.job, "kind", key.kind)
	}
	if err != nil {
		return
	}
	defer d.running.Done()
	if t.jitter > 0 {
		delay := rand.N(t.jitter)
		d.log.Debug("jitter", "job", key.job, "delay", delay)
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
	}
	res := d.perform(ctx, cfg, key, t, d.startOperation(key, t, oplog.Scheduled))
	d.afterRun(ctx, cfg, key, res)
}

// afterRun starts what follows a successful backup: its copies, beside
// the backup's schedule, so that a long copy offsite does not hold up the
// next backup (a copy still running then skips its turn, and the next
// catches up).
func (d *Daemon) afterRun(ctx context.Context, cfg *config.Config, key taskKey, res *RunResult) {
	if key.kind != KindBackup || res.Result != ResultSuccess {
		return
	}
	d.running.Add(1)
	go func() {
		defer d.running.Done()
		d.copyAfterBackup(ctx, cfg, key.job)
	}()
}

// RunNow starts a run of job's task kind at once, as its schedule would
// (without the jitter), and returns the operation that records it.
func (d *Daemon) RunNow(job, kind string) (oplog.Operation, error) {
	key := taskKey{job: job, kind: kind}
	t, err := d.begin(key)
	if err != nil {
		return oplog.Operation{}, err
	}
	op := d.startOperation(key, t, oplog.Manual)
	ctx, cfg := d.base, d.config()
	go func() {
		defer d.running.Done()
		res := d.perform(ctx, cfg, key, t, op)
		d.afterRun(ctx, cfg, key, res)
	}()
	d.log.Info("job run asked for", "job", job, "kind", kind, "operation", op.ID)
	return op, nil
}

// perform runs the task t, which begin registered, records its result
// (in the status and in the history as op) and returns it.
func (d *Daemon) perform(ctx context.Context, cfg *config.Config, key taskKey, t *task, op oplog.Operation) *RunResult {
	log := d.log.With("job", key.job, "kind", key.kind)
	if key.dest != "" {
		log = log.With("destination", key.dest)
	}
	res := &RunResult{Start: time.Now()}
	err := ctx.Err()
	if err == nil {
		log.Info("job started")
		err = d.runSafely(ctx, cfg, key, res)
	}
	if res.End.IsZero() { // runOnce did not get as far
		res.End = time.Now()
	}
	res.Seconds = res.End.Sub(res.Start).Seconds()
	switch {
	case err != nil && interrupted(ctx, key, err):
		res.Result, res.Interrupted = ResultInterrupted, "drydock is stopping: "+err.Error()
		log.Warn("job interrupted: drydock is stopping", "err", err, "seconds", res.Seconds)
	case err != nil:
		res.Result, res.Error = ResultFailure, err.Error()
		if ctx.Err() != nil {
			res.Error = "interrupted: drydock is stopping: " + res.Error
		}
		log.Error("job failed", "err", err, "seconds", res.Seconds)
	default:
		res.Result = ResultSuccess
		log.Info("job succeeded", "seconds", res.Seconds,
			"snapshots", len(res.Snapshots), "bytes_added", res.BytesAdded, "forgotten", res.Forgotten)
	}
	d.finish(t, res)
	d.finishOperation(op, res)
	return res
}

// interrupted tells whether err only says that the daemon's shutdown cut
// a verification or a copy short: the verification found nothing wrong,
// the copy goes on where it stopped, at their next run. A backup cut short
// is a failure all the same (no snapshot, perhaps a container killed), and
// so is a verification or copy that failed for another reason as the
// shutdown came.
func interrupted(ctx context.Context, key taskKey, err error) bool {
	return (key.kind == KindVerify || key.kind == KindCopy) && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// finish records a run's result and sends notifications.
func (d *Daemon) finish(t *task, res *RunResult) {
	d.mu.Lock()
	t.status.Running = false
	t.status.LastRun = res
	t.status.Runs++
	if res.Result == ResultFailure {
		t.status.Failures++
	}
	if res.OK() {
		end := res.End
		t.status.LastSuccess = &end
	}
	if t.status.Kind == KindCopy {
		t.status.Behind = res.Behind
	}
	js := t.status
	n := d.notifier
	d.mu.Unlock()
	d.metrics.record(&js, res)
	n.send(&js, res)
}

// runSafely is runOnce that turns a panic into a failed run (gocron would
// swallow it silently) and, for a volumes job, starts again at once any
// container the panic left stopped.
func (d *Daemon) runSafely(ctx context.Context, cfg *config.Config, key taskKey, res *RunResult) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		d.log.Error("job panicked", "job", key.job, "kind", key.kind, "panic", r, "stack", string(debug.Stack()))
		err = fmt.Errorf("internal error (panic): %v", r)
		if cfg.Jobs[key.job].Volumes != nil {
			if rerr := d.recoverOnce(context.WithoutCancel(ctx), cfg.StateDir); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	return d.runOnce(ctx, cfg, key, res)
}

// runOnce runs the task on the job's repository: the handle a run before
// left open (the run's lock refreshes what changed since), else a new one.
func (d *Daemon) runOnce(ctx context.Context, cfg *config.Config, key taskKey, res *RunResult) (err error) {
	job := cfg.Jobs[key.job]
	r, warm, release, err := d.pool.acquire(ctx, job.Repository, cfg.Repositories[job.Repository], useRun, d.opener(cfg, job.Repository))
	if err != nil {
		return err
	}
	d.log.Debug("repository", "job", key.job, "repository", job.Repository, "warm", warm)
	// A run that failed in a way that may concern the handle (a replaced
	// repository, a removed key, a failing backend) leaves it to be
	// opened afresh.
	defer func() { release(!keepAfter(err)) }()
	if key.kind == KindCopy {
		return d.copyOnce(ctx, cfg, key, res)
	}
	x := &run{d: d, cfg: cfg, name: key.job, job: job, res: res}
	if key.kind == KindVerify {
		err = x.verify(ctx, r)
	} else {
		err = x.backup(ctx, r)
	}
	// The run ends here: measuring the repository for /metrics is the
	// daemon's own bookkeeping, not part of the job's duration.
	res.End = time.Now()
	if ctx.Err() == nil {
		d.measure(ctx, job.Repository, r, res)
	}
	return err
}

// opener opens repository name of cfg for the pool, creating it if it is
// marked init and missing.
func (d *Daemon) opener(cfg *config.Config, name string) opener {
	return func(ctx context.Context) (*repo.Repository, error) {
		return openRepo(ctx, name, cfg.Repositories[name], cacheDir(cfg), d.opts.Getenv, d.log, true, d.owner, d.leftLocksOf(name))
	}
}

// leftLocksOf returns where the handles of repository name note the lock
// files they could not remove.
func (d *Daemon) leftLocksOf(name string) *repo.LeftLocks {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.leftLocks[name]
	if l == nil {
		l = new(repo.LeftLocks)
		d.leftLocks[name] = l
	}
	return l
}

// measure publishes the repository's size and snapshot count.
func (d *Daemon) measure(ctx context.Context, name string, r *repo.Repository, res *RunResult) {
	size, snaps, err := repoSize(ctx, r)
	if err != nil {
		d.log.Warn("cannot measure the repository", "repository", name, "err", err)
		return
	}
	d.metrics.repoSize.WithLabelValues(name).Set(float64(size))
	d.metrics.repoSnaps.WithLabelValues(name).Set(float64(snaps))
	res.RepositoryBytes, res.RepositorySnapshots = &size, &snaps
}

func hostName(cfg *config.Config) string {
	if cfg.Host != "" {
		return cfg.Host
	}
	h, _ := os.Hostname()
	return h
}

func (x *run) host() string { return hostName(x.cfg) }

// serve starts the HTTP endpoints unless listen is "off", and the web
// console wc beside them unless it is nil.
func (d *Daemon) serve(listen string, wc *webConsole) (*http.Server, error) {
	if listen == "off" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics and health on %s: %w", listen, err)
	}
	h := d.Handler()
	if wc != nil {
		if ln, err = wc.tlsListener(ln); err != nil {
			return nil, err
		}
		h = wc.mux(h)
	}
	d.mu.Lock()
	d.addr = ln.Addr()
	d.mu.Unlock()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics endpoint failed", "err", err)
		}
	}()
	return srv, nil
}

// Ready is closed once the daemon listens and its jobs are scheduled.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// Addr is the address of the HTTP endpoints (nil if not listening).
func (d *Daemon) Addr() net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addr
}
