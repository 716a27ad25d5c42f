package apprestore

import (
	"context"
	"fmt"
	"slices"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// recreate previews run.recreate: what it would do with each saved
// container, in the order it creates them. Unlike the restore it goes on
// past a container that could not be created, to check them all.
func (pv *previewer) recreate(ctx context.Context, def *appdef.Definition, opts AppOptions) error {
	waves, warnings, err := appplan.StartWaves(def.Containers)
	if err != nil {
		pv.check(KindApp, def.App, fmt.Errorf("app %s: %w", def.App, err), "")
		return nil
	}
	pv.p.Warnings = append(pv.p.Warnings, warnings...)
	pv.waves = waves
	names := def.Names(func(s string) string { return s })
	for _, wave := range waves {
		for _, name := range wave {
			c, _ := def.Container(name)
			res, err := pv.ru.fateOf(ctx, c)
			if err != nil {
				return err
			}
			cp := ContainerPlan{Name: name, Why: res.Why}
			switch res.Action {
			case Skipped:
				cp.Action = WillSkip
			case Kept:
				cp.Action = WillKeep
			default:
				cp.Action = WillCreate
				if err := pv.create(ctx, def, c, names, opts, &cp); err != nil {
					return err
				}
			}
			pv.p.Containers = append(pv.p.Containers, cp)
			if startsAfter(res.Action, c) {
				pv.runAfter = append(pv.runAfter, name)
			}
		}
	}
	return nil
}

// create previews recreateOne for a container that does not exist: the
// networks, image and empty volumes it would need, and its spec.
func (pv *previewer) create(ctx context.Context, def *appdef.Definition, c container.InspectResponse, names map[string]string, opts AppOptions, cp *ContainerPlan) error {
	cli := pv.ru.env.Docker
	for _, n := range savedNetworks(def, c) {
		if slices.Contains(pv.p.Networks, n.Name) {
			continue
		}
		exists, err := networkExists(ctx, cli, n.Name)
		if err != nil {
			return err
		}
		if !exists {
			pv.p.Networks = append(pv.p.Networks, n.Name)
		}
	}
	ch, err := chooseImage(ctx, cli, def, c, ImageOptions{PreferSaved: opts.SavedImages})
	pv.check(KindImage, cp.Name, err, "")
	cp.Image = ch.Ref
	if ch.load != nil {
		// Loaded, the image is found as localImage finds it.
		cp.ImageFromSnapshot, cp.ImageBytes, cp.Image = true, ch.load.Node.Size, c.Config.Image
		if cp.Image == "" {
			cp.Image = c.Image
		}
	}
	if ch.Warning != "" {
		pv.p.Warnings = append(pv.p.Warnings, ch.Warning)
	}
	for _, name := range pv.ru.emptyVolumesOf(c) {
		if slices.Contains(pv.p.EmptyVolumes, name) {
			continue
		}
		_, exists, err := inspectVolume(ctx, cli, name)
		if err != nil {
			return err
		}
		if !exists {
			pv.p.EmptyVolumes = append(pv.p.EmptyVolumes, name)
		}
	}
	spec, err := buildSpec(def, c, names, cp.Image)
	pv.check(KindDefinition, cp.Name, err, "")
	pv.p.Warnings = append(pv.p.Warnings, spec.Warnings...)
	return nil
}
