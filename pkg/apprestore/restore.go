// Package apprestore brings Docker apps back from their snapshots: the
// content of their volumes, swapped in while the app is stopped, and with
// Recreate the volumes, networks, images and containers that no longer
// exist, created from the app's saved definition.
package apprestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dvolume "github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
	"github.com/drydock-backup/drydock/pkg/snaptree"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// Env is what a restore works with.
type Env struct {
	Docker  *client.Client
	Volumes *volume.Manager
	Repo    *repo.Repository
	Logger  *slog.Logger
	// StateDir holds the journal of the directories a restore makes
	// beside volumes' data, by which Sweep removes what a killed restore
	// left. Empty: no journal.
	StateDir string
	// Progress, if set, is told how the restore goes, from any goroutine:
	// keep it cheap.
	Progress func(Progress)
}

// Phase is a step of a restore.
type Phase string

const (
	// PhaseStaging: a volume is restored beside its data; the app runs.
	PhaseStaging Phase = "staging"
	// PhaseSwap: the app is being stopped and the staged data swapped in.
	PhaseSwap Phase = "swap"
	// PhaseStart: the app is being started again.
	PhaseStart Phase = "start"
)

// Progress is what a restore reports as it goes.
type Progress struct {
	Phase Phase
	// Volume is the volume being staged, the Index-th (from 1) of Volumes.
	Volume         string
	Index, Volumes int
	Stats          restorer.Stats // of the volume being staged
	// Stopping are the containers being stopped now, in PhaseSwap;
	// Stopped those stopped for the swap so far.
	Stopping, Stopped []string
}

// VolumeResult is one restored volume.
type VolumeResult struct {
	Name         string `json:"name"`
	Mountpoint   string `json:"mountpoint"`
	SnapshotPath string `json:"snapshot_path"`
	Created      bool   `json:"created"`
	Files        int    `json:"files"`
	Bytes        uint64 `json:"bytes"`
	// Restored: the volume holds the snapshot's data.
	Restored bool `json:"restored"`
}

// Report says what a restore did.
type Report struct {
	App        string `json:"app,omitempty"`
	SnapshotID string `json:"snapshot_id"`
	// Restored: every volume holds the snapshot's data (the swap was
	// done), also when starting the app again failed after it.
	Restored   bool              `json:"restored"`
	Volumes    []VolumeResult    `json:"volumes"`
	Networks   []string          `json:"networks_created,omitempty"`
	Containers []ContainerResult `json:"containers,omitempty"`
	Stopped    []string          `json:"stopped"`
	Started    []string          `json:"started"`
	// DefinitionFiles are the compose files written to the definition
	// target.
	DefinitionFiles []string `json:"definition_files,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	DowntimeSeconds float64  `json:"downtime_seconds"`
	// EmptyVolumes are volumes of recreated containers the snapshot does
	// not hold (a cache tier), created empty as they were saved;
	// RolledBack says what a failed whole-app restore removed again.
	EmptyVolumes []string  `json:"empty_volumes_created,omitempty"`
	RolledBack   *Rollback `json:"rolled_back,omitempty"`
}

// Target is one volume to restore.
type Target struct {
	Name         string
	SnapshotPath string // its directory in the snapshot
	// Create allows creating the volume when it does not exist, from
	// Saved (driver, options, labels) when set.
	Create bool
	Saved  *appdef.Volume
}

// run is one restore: volumes staged, the app stopped, swapped, started.
type run struct {
	env     Env
	sn      repo.Snapshot
	rep     *Report
	j       *journal // nil without a state directory
	targets []*target
	// start are the containers to start after the swap besides those
	// Stop stopped: created ones, and those that ran at backup time.
	start []string
	// tasks are the Swarm task containers Stop scaled away, by name, with
	// their service's ID: Swarm replaces them when Stop's undo scales the
	// service back; they are never started themselves.
	tasks map[string]string
}

type target struct {
	Target
	res     *VolumeResult
	staging string // restored data, before the swap
	oldAt   string // the old data, after the swap
	swapped bool   // the restored data is in place
	kept    string // data left on purpose, named in a warning
}

// RestoreVolumes replaces the content of volumes with snapshot sn's.
// Each is restored into a staging directory beside it while its app runs;
// then every app mounting one of them is stopped in dependency order, the
// directories are swapped (all or none), and the apps started again on
// every path. A volume used by a running container drydock does not stop
// for it is refused before anything is restored.
func RestoreVolumes(ctx context.Context, env Env, sn repo.Snapshot, targets []Target) (*Report, error) {
	ru := newRun(env, sn, targets)
	return ru.rep, ru.do(ctx, nil)
}

func newRun(env Env, sn repo.Snapshot, targets []Target) *run {
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	ru := &run{env: env, sn: sn, rep: &Report{SnapshotID: sn.ID.String(), Stopped: []string{}, Started: []string{}}, tasks: map[string]string{}}
	ru.rep.Volumes = make([]VolumeResult, len(targets))
	for i, t := range targets {
		ru.rep.Volumes[i] = VolumeResult{Name: t.Name, SnapshotPath: t.SnapshotPath}
		ru.targets = append(ru.targets, &target{Target: t, res: &ru.rep.Volumes[i]})
	}
	return ru
}

// do restores: prepare runs between staging and stopping (creating
// containers, for a whole app).
func (ru *run) do(ctx context.Context, prepare func(ctx context.Context) error) (err error) {
	if ru.env.StateDir != "" {
		if ru.j, err = openJournal(ru.env.StateDir); err != nil {
			return err
		}
	}
	defer ru.cleanup()
	if err := ru.ensureVolumes(ctx); err != nil {
		return err
	}
	p, err := ru.env.Volumes.Plan(ctx)
	if err != nil {
		return fmt.Errorf("plan (is the Docker daemon reachable?): %w", err)
	}
	if err := ru.checkUsers(ctx, p); err != nil {
		return err
	}
	for i, t := range ru.targets {
		if err := ru.stage(ctx, t, i+1); err != nil {
			return err
		}
	}
	if prepare != nil {
		if err := prepare(ctx); err != nil {
			return err
		}
		if p, err = ru.env.Volumes.Plan(ctx); err != nil { // with what prepare created
			return fmt.Errorf("plan: %w", err)
		}
	}
	return ru.swapStopped(ctx, p)
}

// ensureVolumes finds (or creates) each target volume and checks its data
// directory can be swapped.
func (ru *run) ensureVolumes(ctx context.Context) error {
	for _, t := range ru.targets {
		v, exists, err := ru.findVolume(ctx, t)
		if err != nil {
			return err
		}
		if !exists {
			if v, t.res.Created, err = EnsureVolume(ctx, ru.env.Docker, t.Name, t.saved()); err != nil {
				return err
			}
		}
		t.res.Mountpoint = v.Mountpoint
		if err := CheckSwappable(v.Mountpoint); err != nil {
			return fmt.Errorf("volume %s: %w", t.Name, err)
		}
	}
	return nil
}

// findVolume inspects t's volume; one that does not exist is to be
// created if t allows it, else refused.
func (ru *run) findVolume(ctx context.Context, t *target) (v dvolume.Volume, exists bool, err error) {
	v, exists, err = inspectVolume(ctx, ru.env.Docker, t.Name)
	if err == nil && !exists && !t.Create {
		err = fmt.Errorf("volume %s does not exist: create it first with docker volume create", t.Name)
	}
	return v, exists, err
}

// saved is how t's volume was at backup time, to create it alike.
func (t *target) saved() *dvolume.Volume {
	if t.Saved == nil {
		return nil
	}
	return t.Saved.Saved
}

// checkUsers refuses, before anything is restored, a volume that a
// running container uses which drydock would not stop for it.
func (ru *run) checkUsers(ctx context.Context, p *appplan.Plan) error {
	stops := ru.stopSet(p)
	for _, t := range ru.targets {
		users, err := foreignUsers(ctx, ru.env.Docker, t.Name, stops)
		if err != nil {
			return err
		}
		if err := inUse(t.Name, users); err != nil {
			return err
		}
	}
	return nil
}

// inUse refuses volume name if users, running containers drydock does
// not stop for it, use it.
func inUse(name string, users []string) error {
	if len(users) == 0 {
		return nil
	}
	return fmt.Errorf("volume %s is used by running containers drydock does not stop for it (%v): stop them and retry; nothing was changed", name, users)
}

// stopSet names the containers the restore stops.
func (ru *run) stopSet(p *appplan.Plan) map[string]bool {
	stops := map[string]bool{}
	for _, app := range ru.apps(p) {
		for _, d := range app.Stop {
			stops[d.Container.Name] = true
		}
	}
	return stops
}

// foreignUsers are the running containers mounting volume name that are
// not in stops.
func foreignUsers(ctx context.Context, cli *client.Client, name string, stops map[string]bool) ([]string, error) {
	users, err := RunningUsers(ctx, cli, name)
	return slices.DeleteFunc(users, func(n string) bool { return stops[n] }), err
}

// apps are the plan's apps that hold a target volume, narrowed to the
// containers that mount a target and their consumers: restoring one
// volume of an app leaves its other containers running.
func (ru *run) apps(p *appplan.Plan) []*appplan.App {
	var names []string
	for _, t := range ru.targets {
		names = append(names, t.Name)
	}
	var out []*appplan.App
	for _, app := range p.Apps {
		if slices.ContainsFunc(app.Volumes, func(v appplan.Volume) bool { return !v.Bind && ru.isTarget(v.Name) }) {
			out = append(out, p.Narrow(app, names))
		}
	}
	return out
}

func (ru *run) isTarget(name string) bool {
	return slices.ContainsFunc(ru.targets, func(t *target) bool { return t.Name == name })
}

// stage restores the volume's directory of the snapshot beside it, the
// directory's own metadata included.
func (ru *run) stage(ctx context.Context, t *target, i int) error {
	t.staging = SiblingName(t.res.Mountpoint, ".drydock-restore-")
	if err := ru.j.add(t.res.Mountpoint, t.staging); err != nil {
		return fmt.Errorf("volume %s: %w", t.Name, err)
	}
	var progress func(restorer.Stats)
	if ru.env.Progress != nil {
		progress = func(s restorer.Stats) {
			ru.env.Progress(Progress{Phase: PhaseStaging, Volume: t.Name, Index: i, Volumes: len(ru.targets), Stats: s})
		}
		progress(restorer.Stats{})
	}
	// Room is checked once the plan is known, before any content is written.
	st, err := Stage(ctx, ru.env.Repo, ru.sn, t.SnapshotPath, t.staging,
		restorer.Options{Logger: ru.env.Logger, Progress: progress, Planned: RoomFor(filepath.Dir(t.staging))})
	if err != nil {
		return fmt.Errorf("volume %s: %w", t.Name, err)
	}
	t.res.Files, t.res.Bytes = st.Files, st.Bytes
	return nil
}

// Stage restores directory snapPath of snapshot sn into dir (created if
// needed), with the directory's own owner, mode and times. With
// opts.DryRun it only counts what it would restore.
func Stage(ctx context.Context, r *repo.Repository, sn repo.Snapshot, snapPath, dir string, opts restorer.Options) (restorer.Stats, error) {
	node, err := snaptree.LookupDir(ctx, r, *sn.Tree, snapPath)
	if err != nil {
		return restorer.Stats{}, fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
	}
	st, err := restorer.Restore(ctx, r, *node.Subtree, dir, opts)
	if err != nil {
		return st, fmt.Errorf("restore %s of snapshot %s into %s: %w", snapPath, sn.ID.Str(), dir, err)
	}
	if opts.DryRun { // counted only: dir was not made
		return st, nil
	}
	return st, fsnode.ApplyMetadata(dir, node)
}

// swapStopped stops the apps of the volumes, swaps every staged directory
// in (or none), and starts the apps again on every path.
func (ru *run) swapStopped(ctx context.Context, p *appplan.Plan) (err error) {
	start := time.Now()
	var undos []volume.Undo
	for _, app := range ru.apps(p) {
		running := runningOf(app)
		ru.noteTasks(app)
		ru.report(PhaseSwap, running)
		undo, serr := ru.env.Volumes.Stop(ctx, p, app)
		undos = append(undos, undo)
		ru.rep.Stopped = append(ru.rep.Stopped, running...)
		if serr != nil {
			err = serr
			break
		}
	}
	for _, t := range ru.targets {
		if err != nil {
			break
		}
		err = CheckUnused(ctx, ru.env.Docker, t.Name)
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("nothing restored: %w", context.Cause(ctx))
	}
	if err == nil {
		ru.report(PhaseSwap, nil)
		err = ru.swapAll()
		ru.noteRestored()
	}
	// Start on every path, on a context SIGINT does not cut short (the
	// Manager bounds each start by its restart timeout).
	bg := context.WithoutCancel(ctx)
	ru.report(PhaseStart, nil)
	if names := ru.toStart(); len(names) > 0 {
		if serr := ru.env.Volumes.StartContainers(bg, p, names); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	for _, undo := range undos {
		err = errors.Join(err, undo(bg))
	}
	ru.rep.Started = ru.running(bg, slices.Concat(ru.rep.Stopped, ru.start))
	ru.rep.DowntimeSeconds = time.Since(start).Seconds()
	if err != nil && ru.rep.Restored {
		err = fmt.Errorf("every volume holds the restored data, but starting the app again failed: %w", err)
	}
	return err
}

// noteRestored records which volumes hold the restored data after the
// swap: all of them, or, when swapping one back failed, some.
func (ru *run) noteRestored() {
	ru.rep.Restored = true
	for _, t := range ru.targets {
		t.res.Restored = t.swapped
		ru.rep.Restored = ru.rep.Restored && t.swapped
	}
}

// report tells Progress, if set, of phase, with the containers being
// stopped and those stopped.
func (ru *run) report(phase Phase, stopping []string) {
	if ru.env.Progress != nil {
		ru.env.Progress(Progress{Phase: phase, Volumes: len(ru.targets), Stopping: stopping, Stopped: slices.Clone(ru.rep.Stopped)})
	}
}

// runningOf names the running containers Stop stops for app.
func runningOf(app *appplan.App) []string {
	var names []string
	for _, d := range app.Stop {
		if d.Running {
			names = append(names, d.Container.Name)
		}
	}
	return names
}

// toStart: what Stop stopped and what the restore is to start besides,
// in one ordered start. Swarm tasks are left to the scale back.
func (ru *run) toStart() []string {
	names := slices.Concat(ru.rep.Stopped, ru.start)
	slices.Sort(names)
	return slices.DeleteFunc(slices.Compact(names), func(n string) bool { return ru.tasks[n] != "" })
}

// noteTasks records the Swarm tasks Stop scales away for app.
func (ru *run) noteTasks(app *appplan.App) {
	for _, d := range app.Stop {
		if d.Container.SwarmService != "" {
			ru.tasks[d.Container.Name] = d.Container.SwarmService
		}
	}
}

// running returns those of names that run now; for a Swarm task, the
// running tasks of its service here (Swarm replaced the one stopped).
func (ru *run) running(ctx context.Context, names []string) []string {
	out := []string{}
	services := map[string]bool{}
	for _, n := range slices.Compact(slices.Sorted(slices.Values(names))) {
		if svc := ru.tasks[n]; svc != "" {
			services[svc] = true
			continue
		}
		if ins, err := ru.env.Docker.ContainerInspect(ctx, n); err == nil && ins.State != nil && ins.State.Running {
			out = append(out, n)
		}
	}
	for svc := range services {
		out = append(out, ru.runningTasks(ctx, svc)...)
	}
	slices.Sort(out)
	return out
}

// runningTasks names the running containers of Swarm service id here.
func (ru *run) runningTasks(ctx context.Context, id string) []string {
	list, err := ru.env.Docker.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", appplan.SwarmServiceID+"="+id))})
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range list {
		if c.State == "running" && len(c.Names) > 0 {
			out = append(out, strings.TrimPrefix(c.Names[0], "/"))
		}
	}
	return out
}

// swapAll swaps each staged directory in; if one fails, those already
// swapped are swapped back, so the app never sees half a restore.
func (ru *run) swapAll() error {
	for i, t := range ru.targets {
		oldAt, err := ru.swap(t.res.Mountpoint, t.staging, ".drydock-old-")
		if err == nil {
			t.oldAt, t.swapped = oldAt, true
			continue
		}
		err = fmt.Errorf("volume %s: %w", t.Name, err)
		if oldAt != "" { // the old data is neither in place nor gone
			ru.keep(t, oldAt, fmt.Sprintf("volume %s: its old data is in %s", t.Name, oldAt))
		}
		for _, done := range slices.Backward(ru.targets[:i]) {
			back, berr := ru.swap(done.res.Mountpoint, done.oldAt, ".drydock-new-")
			if berr != nil {
				err = errors.Join(err, fmt.Errorf("volume %s holds the restored data, and putting its old data back failed (it is in %s): %w", done.Name, done.oldAt, berr))
				ru.keep(done, done.oldAt, "")
				continue
			}
			done.oldAt, done.swapped = back, false // back: the restored data, now unused
		}
		return err
	}
	return nil
}

// swap is SwapDirs with the aside directory (prefix) journaled first.
func (ru *run) swap(dir, staged, prefix string) (string, error) {
	old := SiblingName(dir, prefix)
	if err := ru.j.add(dir, old); err != nil {
		return "", fmt.Errorf("swap restored data in (old data kept): %w", err)
	}
	return SwapDirs(dir, staged, old)
}

// keep leaves dir, data the restore could not put back, for the operator:
// cleanup and Sweep do not remove it.
func (ru *run) keep(t *target, dir, warning string) {
	if warning != "" {
		ru.rep.Warnings = append(ru.rep.Warnings, warning)
	}
	t.kept = dir
	if err := ru.j.keep(dir); err != nil {
		ru.rep.Warnings = append(ru.rep.Warnings, fmt.Sprintf("volume %s: %v: remove nothing named .drydock-* beside its data before you have looked", t.Name, err))
	}
}

// cleanup removes the staging directories and the old data: once the swap
// is done, the volume holds the restored data whatever happens next, and
// before it, the old data never left. Only what keep names stays. What
// cannot be removed now is left in the journal for Sweep.
func (ru *run) cleanup() {
	clean := true
	for _, t := range ru.targets {
		for _, dir := range []string{t.staging, t.oldAt} {
			if dir == "" || dir == t.res.Mountpoint || dir == t.kept {
				continue
			}
			if err := os.RemoveAll(dir); err != nil {
				clean = false
				ru.rep.Warnings = append(ru.rep.Warnings, fmt.Sprintf("volume %s: leftover data in %s: %v", t.Name, dir, err))
			}
		}
	}
	if clean {
		ru.j.done()
	} else {
		ru.j.release()
	}
}
