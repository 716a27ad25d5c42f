// Package drill proves a backup by booting it: a restore drill restores an
// app's snapshot into scratch volumes, creates isolated copies of its
// containers on them (network none, no ports, no restart policy), starts
// them in dependency order, and passes when every healthcheck reports
// healthy and every drydock.verify command exits 0 inside its copy. The
// real app is never touched, and everything the drill made is removed on
// every exit path; what a killed drill leaves is removed by Sweep.
package drill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// Prefix starts the name of everything a drill creates.
const Prefix = "drydock-drill-"

// DefaultTimeout bounds a drill's boot and checks.
const DefaultTimeout = 5 * time.Minute

// defaultVerifyTimeout bounds one drydock.verify command unless the
// container's drydock.hook.timeout says otherwise.
const defaultVerifyTimeout = 2 * time.Minute

// ErrFailed: the drill ran and the app did not come up as it should.
var ErrFailed = errors.New("restore drill failed")

// Options tune Run.
type Options struct {
	// Timeout bounds booting the copies and running their checks
	// (DefaultTimeout when 0); restoring the volumes is not counted.
	Timeout time.Duration
	// StateDir holds the drill's journal (a lock file), by which Sweep
	// finds what a killed drill left. Required.
	StateDir string
	// SavedImages boots the images the snapshot saved rather than those
	// this host has under the same reference (loading them retags them).
	SavedImages bool
	Logger      *slog.Logger
}

// Result says what a drill did and found.
type Result struct {
	App        string            `json:"app"`
	SnapshotID string            `json:"snapshot_id"`
	ID         string            `json:"drill_id"`
	Passed     bool              `json:"passed"`
	Volumes    []VolumeResult    `json:"volumes"`
	Containers []ContainerResult `json:"containers"`
	Warnings   []string          `json:"warnings,omitempty"`
	Error      string            `json:"error,omitempty"`
	Seconds    float64           `json:"seconds"`
	// CleanedUp is false when removing what the drill made failed; the
	// next drydock start tries again.
	CleanedUp bool `json:"cleaned_up"`
}

// VolumeResult is one scratch volume.
type VolumeResult struct {
	Name    string `json:"name"`    // the app's volume
	Scratch string `json:"scratch"` // the drill's copy
	Files   int    `json:"files"`
	Bytes   uint64 `json:"bytes"`
	Empty   bool   `json:"empty,omitempty"` // not in the snapshot: started empty
	// Excluded says why a volume left empty is deliberately not backed
	// up (a cache tier): expected empty, so no warning.
	Excluded string `json:"excluded,omitempty"`
}

// ContainerResult is one booted copy.
type ContainerResult struct {
	Name    string   `json:"name"` // the app's container
	Copy    string   `json:"copy"`
	Health  string   `json:"health,omitempty"` // healthy, or what it was instead
	Verify  []string `json:"verify,omitempty"` // the drydock.verify command
	Output  string   `json:"verify_output,omitempty"`
	Running bool     `json:"running"`
}

// drill is one run.
type drill struct {
	env    apprestore.Env
	def    *appdef.Definition
	opts   Options
	res    *Result
	boot   []container.InspectResponse // the saved containers to copy
	names  map[string]string           // saved name or ID -> copy name
	vols   map[string]string           // saved volume -> scratch volume
	binds  map[string]string           // saved bind path -> scratch volume
	copies map[string]string           // saved name -> copy's container ID
}

// Run runs a restore drill of the app def describes. The error wraps
// ErrFailed when the app did not pass; any other error means the drill
// could not be run. Either way the Result says what happened.
func Run(ctx context.Context, env apprestore.Env, def *appdef.Definition, opts Options) (*Result, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StateDir == "" {
		return nil, errors.New("restore drill: no state directory for its journal")
	}
	d := &drill{env: env, def: def, opts: opts, names: map[string]string{}, vols: map[string]string{},
		binds: map[string]string{}, copies: map[string]string{},
		res: &Result{App: def.App, SnapshotID: def.Snapshot.ID.String(), ID: newID(), Volumes: []VolumeResult{}, Containers: []ContainerResult{}}}
	start := time.Now()
	j, err := openJournal(opts.StateDir, d.res.ID, def.App)
	if err != nil {
		return d.res, err
	}
	err = d.run(ctx)
	// Clean up on every path, also after SIGINT cancelled ctx.
	cerr := remove(context.WithoutCancel(ctx), env.Docker, d.res.ID)
	d.res.CleanedUp = cerr == nil
	if cerr == nil {
		j.done()
	} else {
		j.release() // Sweep at the next start tries again
		err = errors.Join(err, cerr)
	}
	d.res.Seconds = time.Since(start).Seconds()
	d.res.Passed = err == nil
	if err != nil {
		d.res.Error = err.Error()
	}
	return d.res, err
}

func newID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (d *drill) run(ctx context.Context) error {
	if err := d.choose(); err != nil {
		return err
	}
	booted := map[string]bool{}
	for _, c := range d.boot {
		booted[d.copyName(appdef.ContainerName(c))] = true
	}
	for k, v := range d.def.Names(d.copyName) { // names and IDs
		if booted[v] {
			d.names[k] = v
		}
	}
	if err := d.scratchVolumes(ctx); err != nil {
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	if err := d.bootAll(bctx); err != nil {
		return err
	}
	if err := d.verifyAll(bctx); err != nil {
		return err
	}
	return d.stillRunning(bctx)
}

// copyName names the copy of a saved container.
func (d *drill) copyName(name string) string { return Prefix + d.res.ID + "-" + name }

// choose picks the containers to boot: those that ran at backup time
// (all, if none did); Swarm tasks become plain containers in the drill.
func (d *drill) choose() error {
	if len(d.def.Containers) == 0 {
		return fmt.Errorf("snapshot %s: nothing to boot: %w", d.def.Snapshot.ID.Str(), appdef.ErrNoDefinition)
	}
	for _, c := range d.def.Containers {
		if c.State != nil && c.State.Running {
			d.boot = append(d.boot, c)
		}
	}
	if len(d.boot) == 0 {
		d.boot = slices.Clone(d.def.Containers)
	}
	return nil
}

// scratchVolumes creates a scratch volume for every volume and bind mount
// of the snapshot the booted containers mount, restored from it, and an
// empty one for each volume the snapshot lacks.
func (d *drill) scratchVolumes(ctx context.Context) error {
	for _, c := range d.boot {
		for _, mp := range c.Mounts {
			var err error
			switch {
			case mp.Type == "volume" && mp.Name != "" && d.vols[mp.Name] == "":
				d.vols[mp.Name], err = d.scratch(ctx, mp.Name, d.volumePath(mp.Name))
			case mp.Type == "bind" && slices.Contains(d.def.Binds, mp.Source) && d.binds[mp.Source] == "":
				d.binds[mp.Source], err = d.scratch(ctx, mp.Source, mp.Source)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *drill) volumePath(name string) string {
	if v, ok := d.def.Volume(name); ok {
		return v.Path
	}
	return ""
}

// scratch creates one scratch volume and restores snapPath into it ("":
// left empty).
func (d *drill) scratch(ctx context.Context, of, snapPath string) (string, error) {
	name := Prefix + d.res.ID + "-" + volumeSafe(of)
	v, err := d.env.Docker.VolumeCreate(ctx, dvolume.CreateOptions{Name: name, Driver: "local",
		Labels: map[string]string{appplan.LabelDrill: d.res.ID, appplan.LabelDrillOf: of}})
	if err != nil {
		return "", fmt.Errorf("create scratch volume for %s: %w", of, err)
	}
	vr := VolumeResult{Name: of, Scratch: name, Empty: snapPath == ""}
	if snapPath != "" {
		st, err := apprestore.Stage(ctx, d.env.Repo, d.def.Snapshot, snapPath, v.Mountpoint, restorer.Options{Logger: d.env.Logger, Planned: apprestore.RoomFor(v.Mountpoint)})
		if err != nil {
			return "", fmt.Errorf("volume %s: %w", of, err)
		}
		vr.Files, vr.Bytes = st.Files, st.Bytes
	} else if vr.Excluded = d.excluded(of); vr.Excluded == "" {
		d.res.Warnings = append(d.res.Warnings, fmt.Sprintf("volume %s is not in the snapshot: the drill mounts an empty volume for it", of))
	}
	d.res.Volumes = append(d.res.Volumes, vr)
	return name, nil
}

// excluded says why volume name is deliberately not in the snapshot, by
// its labels and those of the containers mounting it at backup time;
// "" when it should have been there.
func (d *drill) excluded(name string) string {
	var labels map[string]string
	if v := d.def.Unsaved[name]; v != nil {
		labels = v.Labels
	}
	mounters := map[string]map[string]string{}
	for _, c := range d.def.Containers {
		if slices.ContainsFunc(c.Mounts, func(mp container.MountPoint) bool { return mp.Type == "volume" && mp.Name == name }) {
			mounters[appdef.ContainerName(c)] = c.Config.Labels
		}
	}
	why, ok := appplan.Excluded(labels, mounters)
	if !ok {
		return ""
	}
	return why
}

// volumeSafe makes a volume name or host path part of a volume name.
func volumeSafe(s string) string {
	s = strings.Trim(s, "/")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
