package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// errPlanRefused: a precondition of the restore --dry-run planned does
// not hold (exit 1, as any error).
var errPlanRefused = errors.New("the restore would be refused before it changes anything")

// runVolumesRestorePlan is `volumes restore --dry-run SNAPSHOT VOLUME`.
func runVolumesRestorePlan(ctx context.Context, vopts *volumesOptions, g *globalOptions, ref, volName string) error {
	return withRestorePlan(ctx, vopts, g, func(ctx context.Context, env *volumesEnv, r *repo.Repository) (*apprestore.Preview, error) {
		mountpoint, err := volumeMountpoint(ctx, env, volName)
		if err != nil {
			return nil, err
		}
		sn, target, err := volumeTarget(ctx, r, g, ref, volName, mountpoint)
		if err != nil {
			return nil, err
		}
		return apprestore.PreviewVolumes(ctx, env.restoreEnv(r, g), sn, []apprestore.Target{target})
	})
}

// runAppRestorePlan is `volumes restore --dry-run --app APP [SNAPSHOT]`.
func runAppRestorePlan(ctx context.Context, vopts *volumesOptions, g *globalOptions, ref string, o appRestoreOptions) error {
	return withRestorePlan(ctx, vopts, g, func(ctx context.Context, env *volumesEnv, r *repo.Repository) (*apprestore.Preview, error) {
		def, err := loadAppDefinition(ctx, r, g, o.app, ref)
		if err != nil {
			return nil, err
		}
		return apprestore.PreviewApp(ctx, env.restoreEnv(r, g), def, apprestore.AppOptions{Recreate: o.recreate, DefinitionTarget: o.definitionTarget, SavedImages: o.savedImages})
	})
}

// withRestorePlan makes a plan and prints it. It takes no host lock and
// recovers nothing (both change the host), and reads the repository
// under a shared lock, or none with --no-lock.
func withRestorePlan(ctx context.Context, vopts *volumesOptions, g *globalOptions, plan func(context.Context, *volumesEnv, *repo.Repository) (*apprestore.Preview, error)) error {
	env, _, err := openVolumes(ctx, vopts, g, false)
	if err != nil {
		return err
	}
	defer env.close()
	var pv *apprestore.Preview
	err = g.withReadLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		pv, err = plan(ctx, env, r)
		return err
	})
	if err != nil {
		return err
	}
	printWarnings(g, pv.Warnings)
	if g.json {
		_ = json.NewEncoder(g.stdout).Encode(struct {
			MessageType string `json:"message_type"`
			OK          bool   `json:"ok"`
			*apprestore.Preview
		}{"restore_plan", pv.OK(), pv})
	} else if !g.quiet {
		printRestorePlan(g, pv)
	}
	return planRefused(pv.Failed())
}

// planRefused names the preconditions that fail, if any.
func planRefused(failed []apprestore.Check) error {
	if len(failed) == 0 {
		return nil
	}
	var lines []string
	for _, c := range failed {
		lines = append(lines, fmt.Sprintf("precondition %q of %s %s does not hold: %s", c.Kind, checkSubjects[c.Kind], c.Subject, c.Detail))
	}
	return fmt.Errorf("%w: %s", errPlanRefused, strings.Join(lines, "; "))
}

// checkSubjects and checkPhrases say what a precondition is about and
// what it asks, in the text plan.
var (
	checkSubjects = map[apprestore.CheckKind]string{
		apprestore.KindVolume: "volume", apprestore.KindSwappable: "volume", apprestore.KindUnused: "volume",
		apprestore.KindSnapshot: "volume", apprestore.KindRoom: "volume", apprestore.KindStoppable: "app", apprestore.KindApp: "app",
		apprestore.KindImage: "container", apprestore.KindDefinition: "container", apprestore.KindDefinitionTarget: "directory",
	}
	checkPhrases = map[apprestore.CheckKind]string{
		apprestore.KindVolume:           "exists, or may be created",
		apprestore.KindSwappable:        "its data directory is not a mount point",
		apprestore.KindUnused:           "no running container that is not stopped for it uses it",
		apprestore.KindSnapshot:         "the snapshot holds its data, readable",
		apprestore.KindRoom:             "its filesystem has room to stage the restore",
		apprestore.KindStoppable:        "can be stopped in dependency order",
		apprestore.KindApp:              "the snapshot holds what restoring it takes",
		apprestore.KindImage:            "its image is on this host or in the snapshot",
		apprestore.KindDefinition:       "can be created from its saved definition",
		apprestore.KindDefinitionTarget: "holds none of the files to write",
	}
)

// printRestorePlan prints the plan as text, a section per step.
func printRestorePlan(g *globalOptions, pv *apprestore.Preview) {
	w := g.stdout
	what := "volumes"
	if pv.App != "" {
		what = "app " + pv.App
	}
	fmt.Fprintf(w, "restore plan for %s from snapshot %s (dry run: nothing was changed)\n", what, shortSnapshotID(pv.SnapshotID))
	if len(pv.Volumes) > 0 {
		fmt.Fprintf(w, "volumes (%d files, %s in all):\n", pv.Files, humanize.Bytes(pv.Bytes, 3))
		for _, v := range pv.Volumes {
			fmt.Fprintf(w, "  %s %s (driver %s): %d files, %s from %s\n", v.Action, v.Name, v.Driver, v.Files, humanize.Bytes(v.Bytes, 3), v.SnapshotPath)
		}
	}
	printPlanStops(g, pv)
	if len(pv.Containers) > 0 {
		fmt.Fprintln(w, "containers (--recreate), in creation order:")
	}
	for _, c := range pv.Containers {
		line := fmt.Sprintf("  %s %s", c.Action, c.Name)
		if c.Image != "" {
			line += ", image " + c.Image
		}
		if c.ImageFromSnapshot {
			line += fmt.Sprintf(" (loaded from the snapshot, %s)", humanize.Bytes(c.ImageBytes, 3))
		}
		if c.Why != "" {
			line += " (" + c.Why + ")"
		}
		fmt.Fprintln(w, line)
	}
	printPlanList(g, "networks to create", pv.Networks)
	printPlanList(g, "empty volumes to create", pv.EmptyVolumes)
	printPlanList(g, "definition files to write", pv.DefinitionFiles)
	fmt.Fprintln(w, "preconditions:")
	for _, c := range pv.Checks {
		// A failure says what is wrong in its own words.
		mark, what := "ok    ", checkPhrases[c.Kind]
		if !c.OK {
			mark, what = "FAILED", c.Detail
		} else if c.Detail != "" {
			what += " (" + c.Detail + ")"
		}
		fmt.Fprintf(w, "  %s %s %s: %s\n", mark, checkSubjects[c.Kind], c.Subject, what)
	}
}

// printPlanStops prints what is stopped and started again, in order.
func printPlanStops(g *globalOptions, pv *apprestore.Preview) {
	w := g.stdout
	if len(pv.Stop) == 0 {
		fmt.Fprintln(w, "stop: nothing (no running container uses the volumes)")
	} else {
		fmt.Fprintln(w, "stop, in this order:")
	}
	for i, s := range pv.Stop {
		switch {
		case s.Service != "":
			fmt.Fprintf(w, "  %d. %s (app %s): scale Swarm service %s to 0\n", i+1, s.Container, s.App, s.Service)
		case s.Action == appplan.ActionPause:
			fmt.Fprintf(w, "  %d. %s (app %s): pause\n", i+1, s.Container, s.App)
		default:
			fmt.Fprintf(w, "  %d. %s (app %s)\n", i+1, s.Container, s.App)
		}
	}
	if len(pv.Start) > 0 {
		fmt.Fprintln(w, "start again, in this order:")
	}
	for i, n := range pv.Start {
		fmt.Fprintf(w, "  %d. %s\n", i+1, n)
	}
}

func printPlanList(g *globalOptions, what string, names []string) {
	if len(names) > 0 {
		fmt.Fprintf(g.stdout, "%s:\n  %s\n", what, strings.Join(names, "\n  "))
	}
}
