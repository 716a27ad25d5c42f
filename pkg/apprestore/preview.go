package apprestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// Preview is what a restore would do, and whether it could now, found
// without changing anything on the host or in the repository: the
// restore's own decisions, taken and not acted on.
type Preview struct {
	App        string `json:"app,omitempty"`
	SnapshotID string `json:"snapshot_id"`
	// Volumes are replaced or created, in the order they are restored.
	Volumes []VolumePlan `json:"volumes"`
	// Stop are the containers stopped for the swap, in stop order (a
	// Swarm task: its service scaled to 0 and back); Start those started
	// after it, in start order.
	Stop  []StopPlan `json:"stop"`
	Start []string   `json:"start"`
	// Containers, Networks and EmptyVolumes are what Recreate would do
	// and create: per saved container, in creation order.
	Containers   []ContainerPlan `json:"containers,omitempty"`
	Networks     []string        `json:"networks_to_create,omitempty"`
	EmptyVolumes []string        `json:"empty_volumes_to_create,omitempty"`
	// DefinitionFiles are what DefinitionTarget would write.
	DefinitionFiles []string `json:"definition_files,omitempty"`
	// Files and Bytes are those of every volume together.
	Files int    `json:"files"`
	Bytes uint64 `json:"bytes"`
	// Checks are the restore's preconditions, each with whether it holds.
	Checks   []Check  `json:"checks"`
	Warnings []string `json:"warnings,omitempty"`
}

// What a restore would do with a volume or a saved container.
const (
	WillReplace = "replace" // the volume exists: its content is replaced
	WillCreate  = "create"
	WillKeep    = "keep" // the container exists: left as it is
	WillSkip    = "skip" // a Swarm task: Swarm recreates it
)

// VolumePlan is one volume a restore would restore.
type VolumePlan struct {
	Name         string `json:"name"`
	Action       string `json:"action"` // WillReplace, WillCreate; "" if neither can be (see the checks)
	Driver       string `json:"driver"`
	Mountpoint   string `json:"mountpoint,omitempty"` // "" until created
	SnapshotPath string `json:"snapshot_path"`
	Files        int    `json:"files"`
	Bytes        uint64 `json:"bytes"`
}

// StopPlan is one container a restore would stop (or pause, or scale).
type StopPlan struct {
	Container string         `json:"container"`
	App       string         `json:"app"`
	Action    appplan.Action `json:"action"`
	Service   string         `json:"service,omitempty"` // Swarm service scaled to 0
	Reason    string         `json:"reason,omitempty"`
}

// ContainerPlan is what Recreate would do with one saved container.
type ContainerPlan struct {
	Name   string `json:"name"`
	Action string `json:"action"` // WillCreate, WillKeep or WillSkip
	Why    string `json:"why,omitempty"`
	Image  string `json:"image,omitempty"`
	// ImageFromSnapshot: the image is loaded from the snapshot's archive
	// of ImageBytes bytes.
	ImageFromSnapshot bool   `json:"image_from_snapshot,omitempty"`
	ImageBytes        uint64 `json:"image_bytes,omitempty"`
}

// CheckKind names a precondition of a restore.
type CheckKind string

// Preconditions.
const (
	// KindVolume: the volume exists, or may be created.
	KindVolume CheckKind = "volume"
	// KindSwappable: the volume's data directory is not a mount point.
	KindSwappable CheckKind = "swappable"
	// KindUnused: no running container drydock does not stop uses it.
	KindUnused CheckKind = "unused"
	// KindStoppable: the app can be stopped (no dependency cycle).
	KindStoppable CheckKind = "stoppable"
	// KindSnapshot: the snapshot holds the volume's directory, readable.
	KindSnapshot CheckKind = "snapshot"
	// KindRoom: the volume's filesystem has room to stage the restore.
	KindRoom CheckKind = "room"
	// KindApp: the snapshot holds what the restore of the app needs.
	KindApp CheckKind = "app"
	// KindImage: a saved container's image is on this host or saved.
	KindImage CheckKind = "image"
	// KindDefinition: a saved container can be created from its definition.
	KindDefinition CheckKind = "definition"
	// KindDefinitionTarget: no file to write exists.
	KindDefinitionTarget CheckKind = "definition-target"
)

// Check is one precondition and whether it holds now.
type Check struct {
	Kind    CheckKind `json:"kind"`
	Subject string    `json:"subject"` // volume, app, container or directory
	OK      bool      `json:"ok"`
	// Detail says why it fails (the error the restore would stop with),
	// or, when it holds, a note.
	Detail string `json:"detail,omitempty"`
}

// OK says whether every precondition holds.
func (p *Preview) OK() bool { return len(p.Failed()) == 0 }

// Failed are the preconditions that do not hold.
func (p *Preview) Failed() []Check {
	var out []Check
	for _, c := range p.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// PreviewVolumes is what RestoreVolumes(ctx, env, sn, targets) would do.
// Env.Progress and Env.StateDir are not used. The error is one that keeps
// the preview from being made (Docker unreachable, a repository read
// cut short); a precondition that fails is a Check.
func PreviewVolumes(ctx context.Context, env Env, sn repo.Snapshot, targets []Target) (*Preview, error) {
	pv := newPreviewer(newRun(env, sn, targets))
	return pv.p, pv.volumes(ctx)
}

// PreviewApp is what RestoreApp(ctx, env, def, opts) would do.
func PreviewApp(ctx context.Context, env Env, def *appdef.Definition, opts AppOptions) (*Preview, error) {
	pv := newPreviewer(newAppRun(env, def))
	pv.p.App = def.App
	pv.p.Warnings = pv.ru.rep.Warnings
	if opts.DefinitionTarget != "" {
		pv.definition(def, opts.DefinitionTarget)
		if !opts.Recreate {
			pv.ru.targets = nil // only the definition is written
			return pv.p, nil
		}
	}
	if err := checkApp(def, opts); err != nil {
		pv.check(KindApp, def.App, err, "")
		return pv.p, nil
	}
	if opts.Recreate {
		if err := pv.recreate(ctx, def, opts); err != nil {
			return pv.p, err
		}
	}
	return pv.p, pv.volumes(ctx)
}

type previewer struct {
	ru *run
	p  *Preview
	// runAfter are the saved containers Recreate would start after the
	// swap (created or kept: they ran at backup time); waves the saved
	// containers' start waves.
	runAfter []string
	waves    [][]string
}

func newPreviewer(ru *run) *previewer {
	return &previewer{ru: ru, p: &Preview{SnapshotID: ru.sn.ID.String(), Volumes: []VolumePlan{}, Stop: []StopPlan{}, Start: []string{}, Checks: []Check{}}}
}

// check records a precondition: it holds when err is nil.
func (pv *previewer) check(kind CheckKind, subject string, err error, note string) {
	c := Check{Kind: kind, Subject: subject, OK: err == nil, Detail: note}
	if err != nil {
		c.Detail = err.Error()
	}
	pv.p.Checks = append(pv.p.Checks, c)
}

// volumes previews what run.do does with the run's targets.
func (pv *previewer) volumes(ctx context.Context) error {
	for _, t := range pv.ru.targets {
		pv.volume(ctx, t)
	}
	p, err := pv.ru.env.Volumes.Plan(ctx)
	if err != nil {
		return fmt.Errorf("plan (is the Docker daemon reachable?): %w", err)
	}
	pv.stops(p)
	if err := pv.users(ctx, p); err != nil {
		return err
	}
	if err := pv.content(ctx); err != nil {
		return err
	}
	pv.p.Start = pv.startOrder(p)
	return nil
}

// volume previews ensureVolumes for t.
func (pv *previewer) volume(ctx context.Context, t *target) {
	v, exists, err := pv.ru.findVolume(ctx, t)
	vp := VolumePlan{Name: t.Name, SnapshotPath: t.SnapshotPath}
	switch {
	case err != nil: // no action: the restore stops here
		pv.check(KindVolume, t.Name, err, "")
	case exists:
		vp.Action, vp.Driver, vp.Mountpoint = WillReplace, v.Driver, v.Mountpoint
		pv.check(KindSwappable, t.Name, wrapVolume(t.Name, CheckSwappable(v.Mountpoint)), "")
	default:
		opts := volumeCreateOptions(t.Name, t.saved())
		vp.Action, vp.Driver = WillCreate, opts.Driver
		if vp.Driver == "" {
			vp.Driver = "local"
		}
	}
	pv.p.Volumes = append(pv.p.Volumes, vp)
}

func wrapVolume(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("volume %s: %w", name, err)
}

// stops lists what swapStopped would stop, app by app, as it does.
func (pv *previewer) stops(p *appplan.Plan) {
	for _, app := range pv.ru.apps(p) {
		pv.check(KindStoppable, app.Name, app.Err, "")
		pv.ru.noteTasks(app)
		for _, d := range app.Stop {
			if !d.Running { // as runningOf: Stop leaves it alone
				continue
			}
			sp := StopPlan{Container: d.Container.Name, App: app.Name, Action: d.Action, Reason: d.Reason}
			if d.Action == appplan.ActionScale {
				sp.Service = d.Container.SwarmServiceName
			}
			pv.p.Stop = append(pv.p.Stop, sp)
		}
	}
}

// users previews checkUsers: a volume to create has no users yet.
func (pv *previewer) users(ctx context.Context, p *appplan.Plan) error {
	stops := pv.ru.stopSet(p)
	for i, t := range pv.ru.targets {
		if pv.p.Volumes[i].Action != WillReplace {
			continue
		}
		users, err := foreignUsers(ctx, pv.ru.env.Docker, t.Name, stops)
		if err != nil {
			return err
		}
		pv.check(KindUnused, t.Name, inUse(t.Name, users), "")
	}
	return nil
}

// content counts what staging each volume would restore, with the
// restorer's own walk (a dry run into a directory that does not exist),
// and checks each volume's room as stage does. Volumes staged on one
// filesystem add up: each is staged while the ones before it are held.
func (pv *previewer) content(ctx context.Context) error {
	held := map[uint64]restorer.Stats{} // by filesystem
	for i, t := range pv.ru.targets {
		vp := &pv.p.Volumes[i]
		st, err := Stage(ctx, pv.ru.env.Repo, pv.ru.sn, t.SnapshotPath, dryRunTarget(vp), restorer.Options{DryRun: true})
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		pv.check(KindSnapshot, t.Name, wrapVolume(t.Name, err), "")
		if err != nil {
			continue
		}
		vp.Files, vp.Bytes = st.Files, st.Bytes
		pv.p.Files += st.Files
		pv.p.Bytes += st.Bytes
		pv.room(ctx, vp, st, held)
	}
	return nil
}

// dryRunTarget is a directory that does not exist, for a dry run: where
// stage would restore, if known.
func dryRunTarget(vp *VolumePlan) string {
	if vp.Mountpoint != "" {
		return SiblingName(vp.Mountpoint, ".drydock-restore-")
	}
	return SiblingName(filepath.Join(os.TempDir(), vp.Name), ".drydock-preview-")
}

// room previews stage's RoomFor check of one volume.
func (pv *previewer) room(ctx context.Context, vp *VolumePlan, st restorer.Stats, held map[uint64]restorer.Stats) {
	if vp.Action == "" {
		return // the volume check failed
	}
	dir := pv.stagingDir(ctx, vp)
	if dir == "" {
		pv.check(KindRoom, vp.Name, nil, "not known before the volume is created (driver "+vp.Driver+"): checked then")
		return
	}
	var plan restorer.Stats
	dev, ok := fsDevice(dir)
	if ok {
		plan = held[dev]
	}
	plan.PlannedFiles += st.Files
	plan.PlannedBytes += st.Bytes
	if ok {
		held[dev] = plan
	}
	pv.check(KindRoom, vp.Name, wrapVolume(vp.Name, RoomFor(dir)(plan)), "")
}

// stagingDir is the directory a volume's data is staged in: beside its
// data; for a local volume still to be created, Docker's volumes
// directory. "" when not known.
func (pv *previewer) stagingDir(ctx context.Context, vp *VolumePlan) string {
	if vp.Action == WillReplace {
		return filepath.Dir(vp.Mountpoint)
	}
	if vp.Action != WillCreate || vp.Driver != "local" {
		return ""
	}
	info, err := pv.ru.env.Docker.Info(ctx)
	if err != nil || info.DockerRootDir == "" {
		return ""
	}
	return filepath.Join(info.DockerRootDir, "volumes")
}

// startOrder is what swapStopped starts again, in the order
// StartContainers starts it: providers first, in the waves of the plan's
// graph; containers Recreate would create, in the saved containers'
// start waves. Swarm tasks are left to their service's scale back.
func (pv *previewer) startOrder(p *appplan.Plan) []string {
	for _, s := range pv.p.Stop {
		pv.ru.rep.Stopped = append(pv.ru.rep.Stopped, s.Container)
	}
	pv.ru.start = pv.runAfter
	want := map[string]bool{}
	for _, n := range pv.ru.toStart() {
		want[n] = true
	}
	out := []string{}
	for _, wave := range pv.waves { // Recreate: the app as saved
		for _, n := range wave {
			if want[n] {
				out = append(out, n)
				delete(want, n)
			}
		}
	}
	var ids []string
	for _, c := range p.Graph().Containers() {
		if want[c.Name] {
			ids = append(ids, c.ID)
		}
	}
	waves, err := p.Graph().Waves(ids, appplan.StartOrder)
	if err != nil { // a cycle: Stoppable fails; any order
		waves = [][]string{ids}
	}
	for _, wave := range waves {
		var names []string
		for _, id := range wave {
			names = append(names, p.Graph().Container(id).Name)
		}
		slices.Sort(names)
		out = append(out, names...)
	}
	return out
}

// definition previews WriteCompose into dir.
func (pv *previewer) definition(def *appdef.Definition, dir string) {
	writes, warnings, err := composeWrites(def, dir)
	pv.p.Warnings = append(pv.p.Warnings, warnings...)
	pv.check(KindDefinitionTarget, dir, err, "")
	for _, w := range writes {
		pv.p.DefinitionFiles = append(pv.p.DefinitionFiles, w.dest)
	}
}
