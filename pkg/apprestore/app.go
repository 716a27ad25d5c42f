package apprestore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// ContainerResult is what a whole-app restore did with one saved container.
type ContainerResult struct {
	Name        string `json:"name"`
	Action      string `json:"action"` // created, kept, skipped, failed, removed
	Why         string `json:"why,omitempty"`
	Image       string `json:"image,omitempty"`
	ImageLoaded bool   `json:"image_loaded,omitempty"`
}

// Container actions.
const (
	Created = "created"
	Kept    = "kept"
	Skipped = "skipped"
	// Failed: creating it failed (Why says why); the restore stopped.
	Failed = "failed"
	// Removed: created, then removed again because the restore failed.
	Removed = "removed"
)

// AppOptions tune RestoreApp.
type AppOptions struct {
	// Recreate creates the app's containers (and their networks and
	// images) that no longer exist. Existing ones are kept as they are.
	Recreate bool
	// DefinitionTarget, if set, is a directory the app's compose files
	// and build contexts are written to, one directory per compose
	// project. Without Recreate that is all RestoreApp does.
	DefinitionTarget string
	// SavedImages prefers the images the snapshot saved to those this
	// host has under the same reference (see ImageOptions.PreferSaved).
	SavedImages bool
}

// RestoreApp restores every volume of the app def describes from its
// snapshot, creating volumes that no longer exist with their saved
// driver, options and labels, and with Recreate the missing containers;
// the app is stopped in dependency order for the swap and started again,
// providers first. Containers that ran at backup time run afterwards.
func RestoreApp(ctx context.Context, env Env, def *appdef.Definition, opts AppOptions) (*Report, error) {
	ru := newAppRun(env, def)
	if opts.DefinitionTarget != "" {
		files, warnings, err := WriteCompose(ctx, env.Repo, def, opts.DefinitionTarget)
		ru.rep.DefinitionFiles = files
		ru.rep.Warnings = append(ru.rep.Warnings, warnings...)
		if err != nil || !opts.Recreate {
			// Without Recreate only the definition is written: no volume
			// is restored, no container stopped.
			ru.rep.Volumes = ru.rep.Volumes[:0]
			return ru.rep, err
		}
	}
	if err := checkApp(def, opts); err != nil {
		return ru.rep, err
	}
	var prepare func(context.Context) error
	if opts.Recreate {
		prepare = func(ctx context.Context) error { return ru.recreate(ctx, def, opts) }
	}
	if err := ru.do(ctx, prepare); err != nil {
		if !slices.ContainsFunc(ru.targets, func(t *target) bool { return t.swapped }) {
			ru.rep.RolledBack = ru.rollback(context.WithoutCancel(ctx))
		}
		return ru.rep, err
	}
	ru.rep.Started = ru.running(ctx, slices.Concat(ru.rep.Stopped, ru.start))
	return ru.rep, nil
}

// newAppRun is the run of a whole-app restore: every volume the
// snapshot holds, created if missing.
func newAppRun(env Env, def *appdef.Definition) *run {
	var targets []Target
	for _, v := range def.Volumes {
		targets = append(targets, Target{Name: v.Name, SnapshotPath: v.Path, Create: true, Saved: &v})
	}
	ru := newRun(env, def.Snapshot, targets)
	ru.rep.App = def.App
	ru.rep.Containers = []ContainerResult{}
	for _, b := range def.Binds {
		ru.rep.Warnings = append(ru.rep.Warnings, fmt.Sprintf("bind mount %s is in the snapshot but not restored by --app: restore it with drydock restore %s --include %s --target DIR", b, def.Snapshot.ID.Str(), b))
	}
	return ru
}

// checkApp refuses a whole-app restore the snapshot cannot serve.
func checkApp(def *appdef.Definition, opts AppOptions) error {
	if len(def.Volumes) == 0 && !opts.Recreate {
		return fmt.Errorf("snapshot %s holds no volume of app %s: nothing to restore", def.Snapshot.ID.Str(), def.App)
	}
	if opts.Recreate && len(def.Containers) == 0 {
		return fmt.Errorf("snapshot %s: --recreate: %w", def.Snapshot.ID.Str(), appdef.ErrNoDefinition)
	}
	return nil
}

// recreate creates the saved containers that do not exist, providers
// first (a container's volumes_from and container: network must exist
// when it is created), and notes which to start after the swap.
func (ru *run) recreate(ctx context.Context, def *appdef.Definition, opts AppOptions) error {
	waves, warnings, err := appplan.StartWaves(def.Containers)
	if err != nil {
		return fmt.Errorf("app %s: %w", def.App, err)
	}
	ru.rep.Warnings = append(ru.rep.Warnings, warnings...)
	names := def.Names(func(s string) string { return s })
	for _, wave := range waves {
		for _, name := range wave {
			c, _ := def.Container(name)
			res, err := ru.recreateOne(ctx, def, c, names, opts)
			if err != nil {
				res.Action, res.Why = Failed, strings.TrimPrefix(err.Error(), "container "+name+": ")
			}
			ru.rep.Containers = append(ru.rep.Containers, res)
			if err != nil {
				return err
			}
			if startsAfter(res.Action, c) {
				ru.start = append(ru.start, name)
			}
		}
	}
	return nil
}

// startsAfter says whether saved container c, created or kept, runs
// after the restore: it did at backup time.
func startsAfter(action string, c container.InspectResponse) bool {
	return action != Skipped && c.State != nil && c.State.Running
}

func (ru *run) recreateOne(ctx context.Context, def *appdef.Definition, c container.InspectResponse, names map[string]string, opts AppOptions) (ContainerResult, error) {
	name := appdef.ContainerName(c)
	res, err := ru.fateOf(ctx, c)
	if err != nil || res.Action != Created {
		return res, err
	}
	if err := ru.ensureNetworks(ctx, def, c); err != nil {
		return res, err
	}
	img, err := EnsureImage(ctx, ru.env.Docker, ru.env.Repo, def, c, ImageOptions{PreferSaved: opts.SavedImages}, ru.env.Logger)
	res.Image, res.ImageLoaded = img.Ref, img.Loaded
	if err != nil {
		return res, err
	}
	if img.Warning != "" {
		ru.rep.Warnings = append(ru.rep.Warnings, img.Warning)
	}
	if err := ru.ensureEmptyVolumes(ctx, def, c); err != nil {
		return res, err
	}
	spec, err := buildSpec(def, c, names, img.Ref)
	if err != nil {
		return res, err
	}
	ru.rep.Warnings = append(ru.rep.Warnings, spec.Warnings...)
	if _, err := Create(ctx, ru.env.Docker, spec); err != nil {
		return res, err
	}
	ru.env.Logger.Info("created container from the snapshot", "container", name, "image", img.Ref)
	return res, nil
}

// fateOf decides what a whole-app restore does with saved container c:
// Created when it is to be created, else Skipped or Kept, with why.
func (ru *run) fateOf(ctx context.Context, c container.InspectResponse) (ContainerResult, error) {
	name := appdef.ContainerName(c)
	res := ContainerResult{Name: name}
	if appdef.IsSwarmTask(c) {
		res.Action, res.Why = Skipped, "a task of Swarm service "+c.Config.Labels[appplan.SwarmServiceName]+": Swarm recreates its tasks (the service's definition is in the snapshot's definition/services/)"
		return res, nil
	}
	_, err := ru.env.Docker.ContainerInspect(ctx, name)
	switch {
	case err == nil:
		res.Action, res.Why = Kept, "exists: never replaced; remove it first to have it created from the snapshot"
		return res, nil
	case !cerrdefs.IsNotFound(err):
		return res, fmt.Errorf("inspect container %s: %w", name, err)
	}
	res.Action = Created
	return res, nil
}

// buildSpec is what creates saved container c again from image ref.
func buildSpec(def *appdef.Definition, c container.InspectResponse, names map[string]string, ref string) (appdef.Spec, error) {
	return appdef.Build(c, appdef.SpecOptions{Mode: appdef.Recreate, Name: appdef.ContainerName(c), Image: ref, Containers: names, Inherited: def.Inherited(c)})
}

// ensureEmptyVolumes creates the named volumes c mounts that neither
// exist nor are in the snapshot (a cache tier) as they were saved, rather
// than leave Docker to create them bare, and so that a failed restore
// knows to remove them.
func (ru *run) ensureEmptyVolumes(ctx context.Context, def *appdef.Definition, c container.InspectResponse) error {
	for _, name := range ru.emptyVolumesOf(c) {
		_, created, err := EnsureVolume(ctx, ru.env.Docker, name, def.Unsaved[name])
		if err != nil {
			return fmt.Errorf("container %s: %w", appdef.ContainerName(c), err)
		}
		if created {
			ru.rep.EmptyVolumes = append(ru.rep.EmptyVolumes, name)
		}
	}
	return nil
}

// emptyVolumesOf names the volumes c mounts that the restore does not
// restore: created empty if they do not exist.
func (ru *run) emptyVolumesOf(c container.InspectResponse) []string {
	var names []string
	for _, mp := range c.Mounts {
		if mp.Type == mount.TypeVolume && mp.Name != "" && !ru.isTarget(mp.Name) {
			names = append(names, mp.Name)
		}
	}
	return names
}

// ensureNetworks creates the user-defined networks c was attached to.
func (ru *run) ensureNetworks(ctx context.Context, def *appdef.Definition, c container.InspectResponse) error {
	for _, n := range savedNetworks(def, c) {
		created, err := EnsureNetwork(ctx, ru.env.Docker, n)
		if err != nil {
			return fmt.Errorf("container %s: %w", appdef.ContainerName(c), err)
		}
		if created {
			ru.rep.Networks = append(ru.rep.Networks, n.Name)
		}
	}
	return nil
}

// savedNetworks are the user-defined networks c was attached to, as the
// snapshot saved them (predefined ones, bridge, host, none, are not).
func savedNetworks(def *appdef.Definition, c container.InspectResponse) []network.Inspect {
	if c.NetworkSettings == nil {
		return nil
	}
	var out []network.Inspect
	for _, n := range slices.Sorted(maps.Keys(c.NetworkSettings.Networks)) {
		if i := slices.IndexFunc(def.Networks, func(s network.Inspect) bool { return s.Name == n }); i >= 0 {
			out = append(out, def.Networks[i])
		}
	}
	return out
}
