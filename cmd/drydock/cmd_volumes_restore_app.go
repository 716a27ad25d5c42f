package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// runAppRestore restores a whole app: `volumes restore --app`.
func runAppRestore(ctx context.Context, vopts *volumesOptions, g *globalOptions, ref string, o appRestoreOptions) error {
	env, recovered, err := openVolumes(ctx, vopts, g, true)
	if err != nil {
		return err
	}
	defer env.close()
	var rep *apprestore.Report
	err = g.withLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		def, err := loadAppDefinition(ctx, r, g, o.app, ref)
		if err != nil {
			return err
		}
		line, progress := restoreProgress(g.stderr, g.quiet || g.json)
		renv := env.restoreEnv(r, g)
		renv.Progress = progress
		rep, err = apprestore.RestoreApp(ctx, renv, def, apprestore.AppOptions{Recreate: o.recreate, DefinitionTarget: o.definitionTarget, SavedImages: o.savedImages})
		line.finish()
		return err
	})
	if rep != nil {
		printWarnings(g, rep.Warnings)
		switch {
		case g.json:
			_ = json.NewEncoder(g.stdout).Encode(struct {
				MessageType string `json:"message_type"`
				*apprestore.Report
			}{"summary", rep})
		case !g.quiet:
			printAppRestore(g, rep, err == nil)
		}
	}
	return errors.Join(err, recovered)
}

// loadAppDefinition finds the app's snapshot (ref may be latest: the
// app's newest, not the repository's) and reads its definition.
func loadAppDefinition(ctx context.Context, r *repo.Repository, g *globalOptions, app, ref string) (*appdef.Definition, error) {
	sn, err := appSnapshot(ctx, r, g, app, ref)
	if err != nil {
		return nil, err
	}
	return appdef.Load(ctx, r, sn, app)
}

func printAppRestore(g *globalOptions, rep *apprestore.Report, ok bool) {
	verb := "restored"
	switch {
	case ok && len(rep.Volumes) == 0 && len(rep.DefinitionFiles) > 0:
		verb = "definition written, no volume restored"
	case !rep.Restored && slices.ContainsFunc(rep.Volumes, func(v apprestore.VolumeResult) bool { return v.Restored }):
		verb = "only partly restored (see the volumes below and the error)"
	case !rep.Restored:
		verb = "NOT restored (see the error below)"
	case !ok:
		verb = "restored, but not all of it runs again (see the error below)"
	}
	fmt.Fprintf(g.stdout, "app %s from snapshot %s: %s; downtime %.2fs\n", rep.App, shortSnapshotID(rep.SnapshotID), verb, rep.DowntimeSeconds)
	for _, v := range rep.Volumes {
		created := ""
		if v.Created {
			created = " (volume created)"
		}
		state := ""
		if !v.Restored {
			state = " (NOT restored)"
		}
		fmt.Fprintf(g.stdout, "  volume %s%s: %d files, %s from %s%s\n", v.Name, created, v.Files, humanize.Bytes(v.Bytes, 3), v.SnapshotPath, state)
	}
	for _, v := range rep.EmptyVolumes {
		fmt.Fprintf(g.stdout, "  volume %s: created empty (not in the snapshot)\n", v)
	}
	for _, n := range rep.Networks {
		fmt.Fprintf(g.stdout, "  network %s: created\n", n)
	}
	for _, c := range rep.Containers {
		line := "  container " + c.Name + ": " + c.Action
		if c.ImageLoaded {
			line += ", image " + c.Image + " loaded from the snapshot"
		}
		if c.Why != "" {
			line += " (" + c.Why + ")"
		}
		fmt.Fprintln(g.stdout, line)
	}
	if len(rep.Stopped) > 0 {
		fmt.Fprintf(g.stdout, "  stopped: %s\n", strings.Join(rep.Stopped, ", "))
	}
	if len(rep.Started) > 0 {
		fmt.Fprintf(g.stdout, "  running now: %s\n", strings.Join(rep.Started, ", "))
	}
	for _, f := range rep.DefinitionFiles {
		fmt.Fprintf(g.stdout, "  wrote %s\n", f)
	}
	if rb := rep.RolledBack; rb != nil {
		printResources(g, "removed again", rb.Removed)
		printResources(g, "left as it was", rb.Kept)
		for _, img := range rb.Images {
			fmt.Fprintf(g.stdout, "  image %s: loaded from the snapshot, stays on this host\n", img)
		}
		for _, e := range rb.Errors {
			fmt.Fprintf(g.stdout, "  NOT removed: %s\n", e)
		}
	}
}

// printResources prints one line per kind of what a failed restore did
// with what it created or found.
func printResources(g *globalOptions, what string, r apprestore.Resources) {
	for _, k := range []struct {
		kind  string
		names []string
	}{{"containers", r.Containers}, {"volumes", r.Volumes}, {"networks", r.Networks}} {
		if len(k.names) > 0 {
			fmt.Fprintf(g.stdout, "  %s: %s %s\n", what, k.kind, strings.Join(k.names, ", "))
		}
	}
}
