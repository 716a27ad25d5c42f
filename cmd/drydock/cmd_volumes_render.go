package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// renderPlan writes the plan as aligned text to w, for people: the text
// of `drydock volumes ls` and `drydock volumes backup --dry-run`.
func renderPlan(w io.Writer, p *appplan.Plan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(p.Apps) == 0 {
		fmt.Fprintln(tw, "nothing to back up")
	}
	for i, a := range p.Apps {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		renderApp(tw, a)
	}
	if len(p.Skipped) > 0 {
		fmt.Fprintln(tw, "\nskipped:")
		for _, s := range p.Skipped {
			kind := "volume"
			if s.Bind {
				kind = "bind"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, kind, s.Reason)
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(tw, "\nwarnings:")
		for _, w := range p.Warnings {
			fmt.Fprintf(tw, "  %s\n", w)
		}
	}
	return tw.Flush()
}

func renderApp(w io.Writer, a *appplan.App) {
	fmt.Fprintf(w, "app %s", a.Name)
	if len(a.Tags) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(a.Tags, ", "))
	}
	fmt.Fprintln(w)
	if a.Err != nil {
		fmt.Fprintf(w, "  error: %v\n", a.Err)
	}
	fmt.Fprintln(w, "  volumes:")
	for _, v := range a.Volumes {
		fmt.Fprintf(w, "    %s\t%s\t%s\t%s\n", v.Name, v.Mountpoint, strings.Join(v.Tags, ","), v.Reason)
	}
	if len(a.Stop) == 0 {
		fmt.Fprintln(w, "  stop: nothing")
	} else {
		fmt.Fprintln(w, "  stop, in this order:")
		for _, d := range a.Stop {
			state := "running"
			switch {
			case !d.Running:
				state = "not running, left alone"
			case d.Action == appplan.ActionPause:
				state = "running, paused (frozen) for the final pass"
			case d.Action == appplan.ActionScale:
				state = "running, task of Swarm service " + d.Container.SwarmServiceName + ": the service is scaled to 0 and back"
			}
			fmt.Fprintf(w, "    %s\t%s\t%s\n", d.Container.Name, state, d.Reason)
		}
	}
	if a.MaxDowntime > 0 {
		fmt.Fprintf(w, "  max downtime: %s (%s)\n", a.MaxDowntime, a.MaxDowntimeFrom)
	}
	renderWaves(w, "stop waves", a.StopWaves)
	renderWaves(w, "start waves", a.StartWaves)
	if len(a.Kept) > 0 {
		fmt.Fprintln(w, "  keep running:")
		for _, d := range a.Kept {
			fmt.Fprintf(w, "    %s\t%s\n", d.Container.Name, d.Reason)
		}
	}
	renderAppFiles(w, a)
	if len(a.Hooks) > 0 {
		fmt.Fprintln(w, "  hooks:")
		for _, h := range a.Hooks {
			user := h.User
			if user == "" {
				user = "(image default)"
			}
			fmt.Fprintf(w, "    %s\t%s\t%q\tuser %s\ttimeout %s\n", h.Phase, h.Container.Name, appplan.ClipArgv(h.Cmd), user, h.Timeout)
		}
	}
}

func renderWaves(w io.Writer, title string, waves [][]string) {
	if len(waves) == 0 {
		return
	}
	parts := make([]string, len(waves))
	for i, wave := range waves {
		parts[i] = strings.Join(wave, " + ")
	}
	fmt.Fprintf(w, "  %s: %s\n", title, strings.Join(parts, " -> "))
}

// renderAppFiles lists what the app's snapshot holds besides its volumes.
func renderAppFiles(w io.Writer, a *appplan.App) {
	if len(a.Dumps) > 0 {
		fmt.Fprintln(w, "  dumps (stdout stored as a file of the snapshot):")
		for _, d := range a.Dumps {
			fmt.Fprintf(w, "    %s\t%s\t%q\ttimeout %s\n", d.Name, d.Container.Name, appplan.ClipArgv(d.Cmd), d.Timeout)
		}
	}
	names := make([]string, 0, len(a.Containers))
	for _, c := range a.Containers {
		names = append(names, c.Name)
	}
	fmt.Fprintf(w, "  definition: docker inspect of containers %s and of the app's volumes, networks and images", strings.Join(names, ", "))
	if len(a.ComposeProjects()) > 0 {
		fmt.Fprintf(w, "; compose files and .env of project %s", strings.Join(a.ComposeProjects(), ", "))
	}
	fmt.Fprintln(w)
	for _, img := range a.Images {
		fmt.Fprintf(w, "  image: %s of %s (%s=%s)\n", img.Image, img.Container.Name, appplan.LabelSaveImage, img.When)
	}
}
