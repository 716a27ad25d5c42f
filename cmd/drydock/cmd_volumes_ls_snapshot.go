package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// What `volumes ls --snapshot` shows, as --json has it.
type (
	snapshotAppsJSON struct {
		SnapshotID string            `json:"snapshot_id"`
		Time       string            `json:"time"`
		Hostname   string            `json:"hostname"`
		Docker     string            `json:"docker"` // compared, or why not
		Apps       []snapshotAppJSON `json:"apps"`
	}
	snapshotAppJSON struct {
		Name       string              `json:"name"`
		Volumes    []snapshotItemJSON  `json:"volumes"`
		Binds      []string            `json:"bind_mounts"`
		Containers []snapshotItemJSON  `json:"containers"`
		Networks   []string            `json:"networks"`
		Services   []string            `json:"swarm_services"`
		Images     []snapshotFileJSON  `json:"images"`
		Dumps      []string            `json:"dumps"`
		Compose    map[string][]string `json:"compose_files"`
		Restore    string              `json:"restore_command"`
	}
	snapshotItemJSON struct {
		Name   string `json:"name"`
		Detail string `json:"detail"`
		// Here is the state on this host: exists, missing, or unknown.
		Here string `json:"here"`
	}
	snapshotFileJSON struct {
		File  string `json:"file"`
		Bytes uint64 `json:"bytes"`
	}
)

func runVolumesLsSnapshot(ctx context.Context, g *globalOptions, ref string, apps []string) error {
	var out snapshotAppsJSON
	err := g.withLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		sn, err := findSnapshot(ctx, r, g, ref, retention.Filter{})
		if err != nil {
			return err
		}
		out = snapshotAppsJSON{SnapshotID: sn.ID.String(), Time: sn.Time.Format("2006-01-02 15:04:05"), Hostname: sn.Hostname, Apps: []snapshotAppJSON{}}
		names := appdef.Apps(sn)
		if len(names) == 0 {
			return fmt.Errorf("snapshot %s (paths %v) holds no app: it was not made by drydock volumes backup", sn.ID.Str(), sn.Paths)
		}
		for _, a := range apps {
			if !slices.Contains(names, a) {
				return fmt.Errorf("snapshot %s holds no app %s (its apps: %v)", sn.ID.Str(), a, names)
			}
		}
		host := newHostView(ctx)
		defer host.close()
		out.Docker = host.status
		for _, name := range names {
			if len(apps) > 0 && !slices.Contains(apps, name) {
				continue
			}
			def, err := appdef.Load(ctx, r, sn, name)
			if err != nil {
				return err
			}
			out.Apps = append(out.Apps, snapshotApp(ctx, def, host))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(out)
	}
	printSnapshotApps(g, out)
	return nil
}

// hostView compares a snapshot with this host's Docker, if reachable.
type hostView struct {
	cli    *client.Client
	status string
}

func newHostView(ctx context.Context) *hostView {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		if _, err = cli.Ping(ctx); err != nil {
			cli.Close()
		}
	}
	if err != nil {
		return &hostView{status: "not compared with this host: Docker not reachable (" + err.Error() + ")"}
	}
	return &hostView{cli: cli, status: "compared with this host"}
}

func (h *hostView) close() {
	if h.cli != nil {
		h.cli.Close()
	}
}

// here says whether the named container or volume exists on this host.
func (h *hostView) here(ctx context.Context, volume bool, name string) string {
	if h.cli == nil {
		return "unknown"
	}
	var err error
	if volume {
		_, err = h.cli.VolumeInspect(ctx, name)
	} else {
		_, err = h.cli.ContainerInspect(ctx, name)
	}
	switch {
	case err == nil:
		return "exists"
	case cerrdefs.IsNotFound(err):
		return "missing"
	}
	return "unknown"
}

func snapshotApp(ctx context.Context, def *appdef.Definition, host *hostView) snapshotAppJSON {
	a := snapshotAppJSON{Name: def.App, Binds: def.Binds, Services: def.Services, Dumps: def.Dumps, Compose: map[string][]string{},
		Volumes: []snapshotItemJSON{}, Containers: []snapshotItemJSON{}, Networks: []string{}, Images: []snapshotFileJSON{}}
	for _, v := range def.Volumes {
		detail := "driver local"
		if v.Saved != nil && v.Saved.Driver != "" {
			detail = "driver " + v.Saved.Driver
		}
		a.Volumes = append(a.Volumes, snapshotItemJSON{Name: v.Name, Detail: detail + ", from " + v.Path, Here: host.here(ctx, true, v.Name)})
	}
	for _, c := range def.Containers {
		detail := "image " + c.Config.Image
		if c.State != nil && c.State.Running {
			detail += ", running at backup"
		}
		if appdef.IsSwarmTask(c) {
			detail += ", a Swarm task (not recreated)"
		}
		a.Containers = append(a.Containers, snapshotItemJSON{Name: appdef.ContainerName(c), Detail: detail, Here: host.here(ctx, false, appdef.ContainerName(c))})
	}
	for _, n := range def.Networks {
		a.Networks = append(a.Networks, n.Name)
	}
	for _, im := range def.Images {
		a.Images = append(a.Images, snapshotFileJSON{File: im.File, Bytes: im.Node.Size})
	}
	for _, f := range def.Compose {
		a.Compose[f.Project] = append(a.Compose[f.Project], f.HostPath)
	}
	a.Restore = fmt.Sprintf("drydock volumes restore --app %s --recreate %s", shellQuote(def.App), def.Snapshot.ID.Str())
	return a
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printSnapshotApps(g *globalOptions, out snapshotAppsJSON) {
	fmt.Fprintf(g.stdout, "snapshot %s of %s on %s (%s)\n", out.SnapshotID[:8], out.Time, out.Hostname, out.Docker)
	for _, a := range out.Apps {
		fmt.Fprintf(g.stdout, "\napp %s\n", a.Name)
		for _, v := range a.Volumes {
			fmt.Fprintf(g.stdout, "  volume     %s\t%s; here: %s\n", v.Name, v.Detail, v.Here)
		}
		for _, b := range a.Binds {
			fmt.Fprintf(g.stdout, "  bind       %s\t(restore it with drydock restore --include)\n", b)
		}
		for _, c := range a.Containers {
			fmt.Fprintf(g.stdout, "  container  %s\t%s; here: %s\n", c.Name, c.Detail, c.Here)
		}
		for _, s := range a.Services {
			fmt.Fprintf(g.stdout, "  service    %s\t(Swarm: definition saved, not recreated)\n", s)
		}
		for _, n := range a.Networks {
			fmt.Fprintf(g.stdout, "  network    %s\n", n)
		}
		for _, im := range a.Images {
			fmt.Fprintf(g.stdout, "  image      %s\t%s\n", im.File, humanize.Bytes(im.Bytes, 3))
		}
		for _, d := range a.Dumps {
			fmt.Fprintf(g.stdout, "  dump       %s\n", d)
		}
		for _, p := range slices.Sorted(maps.Keys(a.Compose)) {
			fmt.Fprintf(g.stdout, "  compose    %s: %s\n", p, strings.Join(a.Compose[p], ", "))
		}
		fmt.Fprintf(g.stdout, "  restore:   %s\n", a.Restore)
	}
}
