package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
)

func newVolumesLsCommand(g *globalOptions, vopts *volumesOptions) *cobra.Command {
	var snapshot string
	cmd := &cobra.Command{
		Use:   "ls [SELECTOR...]",
		Short: "Show the plan: which volumes are backed up, which containers stop, in which order, and why",
		Long: `Show the plan: which volumes are backed up, grouped into apps; which containers
each app stops, in which order and why; which keep running; the hooks; and the
volumes that are skipped, with why. SELECTORs (app, group or volume names)
narrow it to some apps. Nothing is changed; no repository is needed.

With --snapshot ID, show instead what that snapshot can bring back, app by app
(SELECTORs are app names): volumes, containers, networks, saved images, dumps
and compose files, each compared with this host where Docker is reachable, and
the command that restores the app.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if snapshot != "" {
				return runVolumesLsSnapshot(cmd.Context(), g, snapshot, args)
			}
			return runVolumesLs(cmd.Context(), vopts, g, args)
		},
	}
	cmd.Flags().StringVar(&snapshot, "snapshot", "", "list what this snapshot (an ID, a prefix of one, or latest) can restore")
	return cmd
}

func runVolumesLs(ctx context.Context, vopts *volumesOptions, g *globalOptions, selectors []string) error {
	env, _, err := openVolumes(ctx, vopts, g, false)
	if err != nil {
		return err
	}
	defer env.close()
	p, err := env.selectedPlan(ctx, selectors)
	if err != nil {
		return err
	}
	// Journal entries mean containers are down now: say so in the plan.
	pending, err := env.m.Pending()
	if err != nil {
		pending = nil
		fmt.Fprintf(g.stderr, "warning: stop journal: %v\n", err)
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(planView(p, pending))
	}
	if err := renderPlan(g.stdout, p); err != nil {
		return err
	}
	for _, app := range sortedPendingApps(pending) {
		fmt.Fprintf(g.stdout, "\nstill stopped by an earlier run (app %s): %v; the next backup or restore starts them\n", app, pending[app])
	}
	return nil
}

// The JSON form of a plan: stable field names, errors as text.
type (
	planJSON struct {
		Apps     []appJSON                 `json:"apps"`
		Skipped  []skipJSON                `json:"skipped"`
		Warnings []string                  `json:"warnings"`
		Pending  map[string][]containerRef `json:"pending,omitempty"`
	}
	appJSON struct {
		Name        string         `json:"name"`
		Groups      []string       `json:"groups"`
		Tags        []string       `json:"tags"`
		Error       string         `json:"error,omitempty"`
		Volumes     []volumeJSON   `json:"volumes"`
		Stop        []decisionJSON `json:"stop"`
		KeepRunning []decisionJSON `json:"keep_running"`
		StopWaves   [][]string     `json:"stop_waves"`
		StartWaves  [][]string     `json:"start_waves"`
		Hooks       []hookJSON     `json:"hooks"`
		// MaxDowntime is the app's drydock.max-downtime in seconds, from
		// MaxDowntimeFrom; absent when the --max-downtime default applies.
		MaxDowntime     float64 `json:"max_downtime_seconds,omitempty"`
		MaxDowntimeFrom string  `json:"max_downtime_from,omitempty"`
		// What the app's snapshot holds besides its volumes.
		Dumps      []dumpJSON     `json:"dumps"`
		Definition definitionJSON `json:"definition"`
		Images     []imageJSON    `json:"images"`
	}
	dumpJSON struct {
		Container string   `json:"container"`
		Name      string   `json:"name"`
		Path      string   `json:"path"`
		Cmd       []string `json:"cmd"`
		User      string   `json:"user,omitempty"`
		Timeout   float64  `json:"timeout_seconds"`
		// AllowEmpty: no output is no error (drydock.dump.allow-empty).
		AllowEmpty bool `json:"allow_empty,omitempty"`
	}
	definitionJSON struct {
		Path            string   `json:"path"`
		Containers      []string `json:"containers"`
		ComposeProjects []string `json:"compose_projects"`
	}
	imageJSON struct {
		Container string `json:"container"`
		Image     string `json:"image"`
		When      string `json:"when"`
	}
	volumeJSON struct {
		Name       string   `json:"name"`
		Bind       bool     `json:"bind,omitempty"`
		Mountpoint string   `json:"mountpoint"`
		Tier       string   `json:"tier"`
		Tags       []string `json:"tags"`
		Reason     string   `json:"reason"`
		MountedBy  []string `json:"mounted_by"`
	}
	decisionJSON struct {
		Container   string `json:"container"`
		ID          string `json:"id"`
		Running     bool   `json:"running"`
		Healthcheck bool   `json:"healthcheck"`
		Reason      string `json:"reason"`
	}
	hookJSON struct {
		Container string   `json:"container"`
		Phase     string   `json:"phase"`
		Cmd       []string `json:"cmd"`
		User      string   `json:"user,omitempty"`
		Timeout   float64  `json:"timeout_seconds"`
	}
	skipJSON struct {
		Name   string `json:"name"`
		Bind   bool   `json:"bind,omitempty"`
		Reason string `json:"reason"`
	}
	containerRef = appplan.ContainerRef
)

func planView(p *appplan.Plan, pending map[string][]appplan.ContainerRef) planJSON {
	out := planJSON{Apps: []appJSON{}, Skipped: []skipJSON{}, Warnings: listOrEmpty(p.Warnings), Pending: pending}
	for _, a := range p.Apps {
		out.Apps = append(out.Apps, appView(a))
	}
	for _, s := range p.Skipped {
		out.Skipped = append(out.Skipped, skipJSON{Name: s.Name, Bind: s.Bind, Reason: s.Reason})
	}
	return out
}

func appView(a *appplan.App) appJSON {
	v := appJSON{
		Name: a.Name, Groups: listOrEmpty(a.Groups), Tags: listOrEmpty(a.Tags),
		Volumes: []volumeJSON{}, Stop: decisionsView(a.Stop), KeepRunning: decisionsView(a.Kept),
		StopWaves: listOrEmpty(a.StopWaves), StartWaves: listOrEmpty(a.StartWaves), Hooks: []hookJSON{},
	}
	if a.Err != nil {
		v.Error = a.Err.Error()
	}
	if a.MaxDowntime > 0 {
		v.MaxDowntime, v.MaxDowntimeFrom = a.MaxDowntime.Seconds(), a.MaxDowntimeFrom
	}
	for _, vol := range a.Volumes {
		v.Volumes = append(v.Volumes, volumeJSON{
			Name: vol.Name, Bind: vol.Bind, Mountpoint: vol.Mountpoint, Tier: string(vol.Tier),
			Tags: listOrEmpty(vol.Tags), Reason: vol.Reason, MountedBy: listOrEmpty(vol.MountedBy),
		})
	}
	for _, h := range a.Hooks {
		v.Hooks = append(v.Hooks, hookJSON{Container: h.Container.Name, Phase: h.Phase, Cmd: h.Cmd, User: h.User, Timeout: h.Timeout.Seconds()})
	}
	appFilesView(&v, a)
	return v
}

// appFilesView fills in what the app's snapshot holds besides its volumes.
func appFilesView(v *appJSON, a *appplan.App) {
	dir := backup.AppDir(a.Name)
	v.Dumps, v.Images = []dumpJSON{}, []imageJSON{}
	for _, d := range a.Dumps {
		v.Dumps = append(v.Dumps, dumpJSON{Container: d.Container.Name, Name: d.Name, Path: backup.DumpPath(a.Name, d.Name),
			Cmd: d.Cmd, User: d.User, Timeout: d.Timeout.Seconds(), AllowEmpty: d.AllowEmpty})
	}
	v.Definition = definitionJSON{Path: path.Join(dir, "definition"), Containers: []string{}, ComposeProjects: listOrEmpty(a.ComposeProjects())}
	for _, c := range a.Containers {
		v.Definition.Containers = append(v.Definition.Containers, c.Name)
	}
	for _, img := range a.Images {
		v.Images = append(v.Images, imageJSON{Container: img.Container.Name, Image: img.Image, When: string(img.When)})
	}
}

func decisionsView(ds []appplan.Decision) []decisionJSON {
	out := []decisionJSON{}
	for _, d := range ds {
		out = append(out, decisionJSON{Container: d.Container.Name, ID: d.Container.ID, Running: d.Running, Healthcheck: d.Healthcheck, Reason: d.Reason})
	}
	return out
}

// listOrEmpty makes empty lists encode as [] rather than null.
func listOrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sortedPendingApps[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
