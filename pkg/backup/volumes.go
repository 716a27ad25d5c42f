package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// VolumeOptions describe a backup of the apps of a volume plan.
type VolumeOptions struct {
	Host string // recorded host name; default: this host's
	// Tags are added to every app's snapshot (the daemon tags its jobs).
	Tags []string
	// Force reads every file in the first pass, ignoring the parent.
	Force bool
	// SinglePass skips the warm pass: the naive stop-backup-start that the
	// downtime benchmark compares against.
	SinglePass bool
	Program    string
	Logger     *slog.Logger
	// Progress, if set, is called as files are read: keep it cheap.
	Progress func(AppProgress)
}

// AppProgress is where an app's backup is, for a status line.
type AppProgress struct {
	App   string
	Phase string // one of the Phase constants
	// Step is what the pass reads now when it is not the volumes: saving
	// an image, running a dump; "" otherwise.
	Step string
	// Stopped are the containers stopped (or frozen) and the Swarm
	// services scaled to 0 for the final pass; in PhaseStopping, those
	// being stopped; in PhaseStarting, those being started again.
	Stopped []string
	Files   uint64
	Bytes   uint64
	// Expected is what the app's last snapshot held, in bytes: an estimate
	// of this pass's total for an ETA; 0 when unknown.
	Expected uint64
}

// Phases of AppProgress.
const (
	PhaseWarm     = "warm pass"
	PhaseStopping = "stopping"
	PhaseFinal    = "final pass"
	PhaseStarting = "starting"
	// PhaseCommit: the final pass's uploads and the snapshot are written
	// while the app runs again.
	PhaseCommit = "writing the snapshot"
)

// AppReport is the outcome of one app.
type AppReport struct {
	App             string   `json:"app"`
	Volumes         []string `json:"volumes"`
	Paths           []string `json:"paths,omitempty"`
	Tags            []string `json:"tags,omitempty"`
	SnapshotID      string   `json:"snapshot_id,omitempty"`
	Parent          string   `json:"parent,omitempty"`
	Stopped         []string `json:"stopped"`
	DowntimeSeconds float64  `json:"downtime_seconds"`
	// Paused names the containers frozen (drydock.stop=pause) for the
	// final pass; FrozenSeconds is their freeze, first pause to last
	// unpause (part of DowntimeSeconds).
	Paused        []string `json:"paused,omitempty"`
	FrozenSeconds float64  `json:"frozen_seconds,omitempty"`
	// Scaled names the Swarm services scaled to 0 and back, as NAME=REPLICAS.
	Scaled   []string   `json:"scaled,omitempty"`
	Warm     *PassStats `json:"warm,omitempty"`
	Final    *PassStats `json:"final,omitempty"`
	Warnings []string   `json:"warnings,omitempty"`
	// Killed names the stopped containers that did not exit on their stop
	// signal within their stop timeout and that Docker killed (for a
	// database, a crash); KillWarnings says so for people. Warnings holds
	// only files that could not be read.
	Killed       []string `json:"killed,omitempty"`
	KillWarnings []string `json:"kill_warnings,omitempty"`
	// DumpWarnings name the dumps not taken because their container was
	// not running: the snapshot lacks them, the backup is incomplete.
	DumpWarnings []string `json:"dump_warnings,omitempty"`
	// Dumps, Definition and Images are where the snapshot holds the app's
	// dump files, its definition directory and its saved images.
	Dumps      []string `json:"dumps,omitempty"`
	Definition string   `json:"definition,omitempty"`
	Images     []string `json:"images,omitempty"`
	Error      string   `json:"error,omitempty"`
	// Err is the app's failure as an error, for errors.Is (e.g.
	// volume.ErrMaxDowntime); Error is its text.
	Err error `json:"-"`
}

// PassStats are what one archiver pass did.
type PassStats struct {
	FilesNew        uint   `json:"files_new"`
	FilesChanged    uint   `json:"files_changed"`
	FilesUnmodified uint   `json:"files_unmodified"`
	BytesProcessed  uint64 `json:"bytes_processed"`
	DataBlobs       int    `json:"data_blobs"`
	TreeBlobs       int    `json:"tree_blobs"`
	DataAdded       uint64 `json:"data_added"`
	DataAddedPacked uint64 `json:"data_added_packed"`
	// Seconds of the final pass count until every file was read (the part
	// the app is down for), not the upload that follows.
	Seconds float64 `json:"duration_seconds"`
}

// volumeRun is one run over the apps of a plan, under one repository lock.
// Snapshots are loaded once and extended as they are written.
type volumeRun struct {
	m    *volume.Manager
	r    *repo.Repository
	opts VolumeOptions

	mu        sync.Mutex // the final pass runs on the Manager's goroutine
	snapshots []repo.Snapshot
	dirty     bool // blobs were saved since the index was loaded
	apps      map[string]*appState
}

// appState carries one app from its warm pass to its commit.
type appState struct {
	report  AppReport
	targets []string   // the volumes' host paths
	parent  *format.ID // previous snapshot of record
	// virtual are the warm pass's dumps, definition and images, stored
	// as is by the final pass.
	virtual  map[string]*format.Node
	claims   appClaims
	warmTree *format.ID // the final pass's parent tree
	final    *finalSave // the final pass's save, finished by the commit
	progress AppProgress
	step     atomic.Value // string: AppProgress.Step, set from the archiver's goroutines
	last     atomic.Pointer[AppProgress]
}

// StoppedRetry is how long, in all, a repository operation is retried
// while an app is stopped for its final pass (the retry policy's own
// budget, --retry-max, applies otherwise).
const StoppedRetry = 10 * time.Second

// finalSave is the final pass's blob saver: the app stays stopped only
// until every file is read; packs, index and snapshot are written after
// it runs again.
type finalSave struct {
	start  time.Time
	read   time.Duration // until every file was read: the part in downtime
	done   chan struct{} // closed when the saver has returned
	res    archiver.Result
	saved  repo.SaverStats
	err    error
	cancel context.CancelFunc
}

// Volumes backs up the apps of p, each into its own snapshot, through m
// (which stops and starts their containers). It returns a report per app;
// the error is non-nil when any app failed.
func Volumes(ctx context.Context, m *volume.Manager, r *repo.Repository, p *appplan.Plan, opts VolumeOptions) ([]AppReport, error) {
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// The index a fresh load would build; on a handle kept open since an
	// earlier run (the daemon's), only index files new since are read.
	if _, err := r.Refresh(ctx); err != nil {
		return nil, err
	}
	sns, err := r.ReadableSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	b := &volumeRun{m: m, r: r, opts: opts, snapshots: sns, apps: map[string]*appState{}}
	defer b.abandon()
	results, err := m.BackupPlanSteps(ctx, p, b.pass, b.step)
	reports := make([]AppReport, 0, len(results))
	for _, res := range results {
		rep := AppReport{App: res.App, Volumes: res.Volumes}
		b.mu.Lock()
		if st := b.apps[res.App]; st != nil {
			rep = st.report
		}
		b.mu.Unlock()
		rep.Stopped = []string{}
		for _, c := range res.Stopped {
			rep.Stopped = append(rep.Stopped, c.Name)
		}
		rep.DowntimeSeconds = res.Downtime.Seconds()
		for _, c := range res.Paused {
			rep.Paused = append(rep.Paused, c.Name)
		}
		rep.FrozenSeconds = res.Frozen.Seconds()
		for _, sv := range res.Scaled {
			rep.Scaled = append(rep.Scaled, fmt.Sprintf("%s=%d", sv.Name, sv.Replicas))
		}
		for _, k := range res.Killed {
			rep.Killed = append(rep.Killed, k.Container.Name)
			rep.KillWarnings = append(rep.KillWarnings, k.String())
		}
		if res.Err != nil {
			// A snapshot may have been written all the same (a post hook or
			// the restart failed): it stays in the report.
			rep.Err, rep.Error = res.Err, res.Err.Error()
		}
		reports = append(reports, rep)
	}
	return reports, err
}

// pass is the volume.BackupFunc: the warm pass saves the app's volumes
// while it runs and keeps the tree; the final pass saves them again with
// that tree as parent, so that only files changed since are read, and
// writes the snapshot of record.
func (b *volumeRun) pass(ctx context.Context, app appplan.App, pass volume.Pass) error {
	b.mu.Lock()
	st := b.apps[app.Name]
	if st == nil {
		tags := append(AppTags(app), b.opts.Tags...)
		slices.Sort(tags)
		st = &appState{report: AppReport{App: app.Name, Paths: AppPaths(app), Tags: slices.Compact(tags)}, targets: volumePaths(app)}
		for _, v := range app.Volumes {
			st.report.Volumes = append(st.report.Volumes, v.Name)
		}
		for _, d := range app.SkippedDumps {
			st.report.DumpWarnings = append(st.report.DumpWarnings,
				fmt.Sprintf("dump %s not taken: container %s is not running", d.Name, d.Container.Name))
		}
		st.step.Store("")
		b.apps[app.Name] = st
	}
	b.mu.Unlock()
	switch pass {
	case volume.PassWarm:
		return b.warm(ctx, st, app)
	case volume.PassFinal:
		st.progress.Stopped = app.Stopped
		return b.final(ctx, st)
	case volume.PassCommit:
		b.phase(st, PhaseCommit)
		return b.commit(ctx, st)
	}
	return fmt.Errorf("unknown backup pass %v", pass)
}

// warm saves the app while it runs: its volumes (unless SinglePass) and
// its dumps, definition and images, which the final pass then stores as
// they were read here.
func (b *volumeRun) warm(ctx context.Context, st *appState, app appplan.App) error {
	// A final pass cut at its deadline just as it finished reading is never
	// committed: stop its saver before this app's pass.
	b.abandon()
	if err := b.refreshIndex(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	parent, ok := newestOfGroup(b.snapshots, retention.DefaultGroupBy, b.opts.Host, st.report.Paths, nil, time.Now())
	b.mu.Unlock()
	st.progress = AppProgress{App: app.Name, Phase: PhaseWarm}
	var parentTree *format.ID
	if ok {
		st.parent = &parent.ID
		if parent.Summary != nil {
			st.progress.Expected = parent.Summary.TotalBytesProcessed
		}
		if !b.opts.Force {
			parentTree = parent.Tree
		}
	}
	vfs, err := b.appFiles(ctx, st, app)
	if err != nil {
		return err
	}
	targets := st.targets
	if b.opts.SinglePass {
		// The dumps still run before the stop: only they are saved now.
		targets = nil
	}
	res, stats, err := b.save(ctx, targets, parentTree, vfs, b.progress(st, PhaseWarm))
	if err != nil {
		return fmt.Errorf("save %v: %w", st.report.Paths, err)
	}
	st.virtual = res.Virtual
	if b.opts.SinglePass {
		st.warmTree = parentTree
	} else {
		st.report.Warm = stats
		st.warmTree = &res.Tree
	}
	// The saver wrote the new blobs' index files but not into the
	// in-memory index: reload now, while the app runs, so that the final
	// pass finds the warm pass's blobs and reads no unchanged file again.
	return b.refreshIndex(ctx)
}

// final reads what changed since the warm pass, while the app is
// stopped, and returns as soon as every file is read. The saver goes on
// (packs, index files) while the app starts again; commit waits for it and
// writes the snapshot. Until the read is done the stopped phase's deadline
// (phase) applies; after it, only the commit's context.
func (b *volumeRun) final(phase context.Context, st *appState) error {
	// While the app is down a storage outage is not waited out: the read
	// fails fast, the app runs again at once, and the next run retries.
	window := retry.NewWindow(StoppedRetry)
	ctx, cancel := context.WithCancel(retry.WithWindow(context.WithoutCancel(phase), window))
	stopWatch := context.AfterFunc(phase, cancel)
	fs := &finalSave{start: time.Now(), done: make(chan struct{}), cancel: cancel}
	read := make(chan error, 2)
	go func() {
		defer close(fs.done)
		defer func() {
			// This goroutine outlives the stopped phase, whose panic
			// handling restarts the app: a panic here must not kill drydock
			// with the app down.
			if r := recover(); r != nil {
				fs.err = fmt.Errorf("final pass panicked: %v\n%s", r, debug.Stack())
				read <- fs.err
			}
		}()
		fs.saved, fs.err = b.r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
			var err error
			fs.res, err = archiver.Save(ctx, b.r, s, st.targets, st.warmTree, archiver.Options{Logger: b.opts.Logger, Virtual: prebuilt(st.virtual),
				Progress: b.progress(st, PhaseFinal)})
			fs.read = time.Since(fs.start)
			read <- err
			return err
		})
		read <- fs.err // in case the saver failed before reading
	}()
	err := <-read
	window.Close() // the uploads after the read retry as usual
	if err == nil && !stopWatch() {
		err = context.Cause(phase) // the deadline came as the read ended
	}
	if err != nil {
		cancel()
		<-fs.done
		return fmt.Errorf("save %v: %w", st.report.Paths, err)
	}
	b.mu.Lock()
	st.final = fs
	b.mu.Unlock()
	return nil
}

// commit waits for the final pass's saver and writes the snapshot of
// record.
func (b *volumeRun) commit(ctx context.Context, st *appState) error {
	b.mu.Lock()
	fs := st.final
	st.final = nil
	b.mu.Unlock()
	if fs == nil {
		return errors.New("commit without a final pass")
	}
	stop := context.AfterFunc(ctx, fs.cancel)
	<-fs.done
	stop()
	fs.cancel()
	if fs.saved.DataBlobs+fs.saved.TreeBlobs > 0 {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
	}
	if fs.err != nil {
		return fmt.Errorf("save %v: %w", st.report.Paths, fs.err)
	}
	res, saved := fs.res, fs.saved
	st.report.Final = passStats(res, saved, fs.read)
	for _, w := range res.Warnings {
		st.report.Warnings = append(st.report.Warnings, w.Error())
	}
	sn := &format.Snapshot{
		Time: fs.start, Parent: st.parent, Tree: &res.Tree, Paths: st.report.Paths, Hostname: b.opts.Host,
		Tags: st.report.Tags, ProgramVersion: b.opts.Program,
		Summary: summary(fs.start, time.Now(), res.Stats, saved),
	}
	SetOwner(sn)
	id, err := b.r.SaveSnapshot(ctx, sn)
	if err != nil {
		return fmt.Errorf("write snapshot of %v: %w", st.report.Paths, err)
	}
	st.report.SnapshotID = id.String()
	st.report.Dumps, st.report.Definition, st.report.Images = st.claims.Dumps, st.claims.Definition, st.claims.Images
	if st.parent != nil {
		st.report.Parent = st.parent.String()
	}
	b.mu.Lock()
	b.snapshots = append(b.snapshots, repo.Snapshot{ID: id, Snapshot: sn})
	b.mu.Unlock()
	return nil
}

// abandon stops and waits for final-pass savers that were never
// committed (the app failed after its final pass): their packs stay
// unreferenced until a prune.
func (b *volumeRun) abandon() {
	b.mu.Lock()
	var left []*finalSave
	for _, st := range b.apps {
		if st.final != nil {
			left = append(left, st.final)
			st.final = nil
		}
	}
	b.mu.Unlock()
	for _, fs := range left {
		fs.cancel()
		<-fs.done
	}
}

// save runs the archiver over paths and virtual files into new packs and
// index files.
func (b *volumeRun) save(ctx context.Context, paths []string, parent *format.ID, vfs []archiver.VirtualFile, progress func(archiver.Stats)) (archiver.Result, *PassStats, error) {
	start := time.Now()
	var res archiver.Result
	saved, err := b.r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, b.r, s, paths, parent, archiver.Options{Logger: b.opts.Logger, Virtual: vfs, Progress: progress})
		return err
	})
	if saved.DataBlobs+saved.TreeBlobs > 0 {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
	}
	if err != nil {
		return res, nil, err
	}
	return res, passStats(res, saved, time.Since(start)), nil
}

// progress turns the archiver's running totals into the app's progress;
// nil without a Progress option.
func (b *volumeRun) progress(st *appState, phase string) func(archiver.Stats) {
	if b.opts.Progress == nil {
		return nil
	}
	p := st.progress
	p.Phase = phase
	// The archiver reports only once a file is done.
	b.emit(st, p)
	return func(s archiver.Stats) { // from any goroutine: p is read only
		q := p
		q.Files, q.Bytes = uint64(s.FilesProcessed), s.BytesProcessed
		b.emit(st, q)
	}
}

// emit reports q with st's current step.
func (b *volumeRun) emit(st *appState, q AppProgress) {
	if b.opts.Progress == nil {
		return
	}
	st.last.Store(&q)
	q.Step, _ = st.step.Load().(string)
	b.opts.Progress(q)
}

// setStep sets st's step and reports it at once: a long stream (an
// image, a dump) reports no file done until it ends.
func (b *volumeRun) setStep(st *appState, old, step string) {
	if !st.step.CompareAndSwap(old, step) {
		return
	}
	if q := st.last.Load(); q != nil {
		b.emit(st, *q)
	}
}

// phase reports that st's app entered phase, which the archiver does not
// report (no files are read in it).
func (b *volumeRun) phase(st *appState, phase string) {
	b.emit(st, AppProgress{App: st.report.App, Phase: phase, Stopped: st.progress.Stopped})
}

// step is the volume.StepFunc: the app is being stopped or started.
func (b *volumeRun) step(app string, step volume.Step, names []string) {
	if b.opts.Progress == nil {
		return
	}
	phase := PhaseStopping
	if step == volume.StepStarting {
		phase = PhaseStarting
	}
	b.opts.Progress(AppProgress{App: app, Phase: phase, Stopped: names})
}

func passStats(res archiver.Result, saved repo.SaverStats, took time.Duration) *PassStats {
	return &PassStats{
		FilesNew: res.Stats.FilesNew, FilesChanged: res.Stats.FilesChanged, FilesUnmodified: res.Stats.FilesUnmodified,
		BytesProcessed: res.Stats.BytesProcessed, DataBlobs: saved.DataBlobs, TreeBlobs: saved.TreeBlobs,
		DataAdded: saved.DataAdded, DataAddedPacked: saved.DataAddedPacked, Seconds: took.Seconds(),
	}
}

// refreshIndex reloads the index if blobs were saved since it was loaded.
func (b *volumeRun) refreshIndex(ctx context.Context) error {
	b.mu.Lock()
	dirty := b.dirty
	b.dirty = false
	b.mu.Unlock()
	if !dirty {
		return nil
	}
	// The saver's own packs are in the index already: Refresh reads what
	// others wrote since, or everything if a pack of ours has no index
	// file (a saver that failed).
	if _, err := b.r.Refresh(ctx); err != nil {
		return fmt.Errorf("reload index: %w", err)
	}
	return nil
}

// AppPaths are the snapshot's paths: the host paths of the app's volumes
// and the app's own directory (AppDir), sorted, stable across runs so
// that parents are found.
func AppPaths(app appplan.App) []string {
	out := append(volumePaths(app), AppDir(app.Name))
	slices.Sort(out)
	return out
}

// volumePaths are the host paths of the app's volumes, sorted.
func volumePaths(app appplan.App) []string {
	var out []string
	for _, v := range app.Volumes {
		out = append(out, v.Mountpoint)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AppTags are the app's group tags and each volume's tag.
func AppTags(app appplan.App) []string {
	tags := slices.Clone(app.Tags)
	for _, v := range app.Volumes {
		tags = append(tags, v.Tags...)
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}
