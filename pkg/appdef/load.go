// Package appdef reads an app's saved definition back out of its snapshot
// (what `docker inspect` said of its containers, volumes and networks, its
// compose files, its saved images) and turns a saved container into what
// it takes to create it again: as it was, for a restore, or as an
// isolated copy, for a restore drill.
package appdef

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snaptree"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// maxDefinitionFile bounds one JSON or compose file read from a snapshot.
const maxDefinitionFile = 32 << 20

// Definition is what an app's snapshot says about the app.
type Definition struct {
	App      string
	Snapshot repo.Snapshot
	// Containers as Docker inspected them at backup time, sorted by name.
	Containers []container.InspectResponse
	Volumes    []Volume
	Networks   []network.Inspect
	Services   []string // Swarm services (their definition is saved, not restored)
	Compose    []ComposeFile
	Builds     []BuildContext // compose services' build contexts
	Images     []Image
	Dumps      []string // file names below dumps/
	// Binds are the bind mounts the snapshot holds: host path -> path in
	// the snapshot (the same path).
	Binds []string
	// Unsaved are the volumes of its containers the snapshot does not
	// hold (a cache tier), as inspected at backup time, by name.
	Unsaved map[string]*dvolume.Volume
}

// Volume is a volume the snapshot holds.
type Volume struct {
	Name string
	// Path is the directory in the snapshot holding its data.
	Path string
	// Saved is `docker volume inspect` at backup time; nil for a snapshot
	// older than saved definitions (Driver then is "local").
	Saved *dvolume.Volume
}

// ComposeFile is a compose or .env file of a compose project.
type ComposeFile struct {
	Project  string
	HostPath string // where it was on the backed-up host
	Node     *format.Node
}

// Image is a `docker save` archive in the snapshot.
type Image struct {
	File string // e.g. shop:dev.tar, as volume.FileName made it
	Node *format.Node
}

// Dir is the snapshot directory of the app's files.
func Dir(app string) string { return backup.AppDir(app) }

// HoldsApp reports whether sn is a snapshot of app.
func HoldsApp(sn repo.Snapshot, app string) bool { return slices.Contains(sn.Paths, Dir(app)) }

// Apps lists the apps whose files sn holds, by name.
func Apps(sn repo.Snapshot) []string {
	var out []string
	for _, p := range sn.Paths {
		if path.Dir(p) != backup.AppRoot {
			continue
		}
		name, err := url.PathUnescape(path.Base(p))
		if err != nil {
			continue
		}
		if name == "._" || name == ".._" { // see backup.AppDir
			name = strings.TrimSuffix(name, "_")
		}
		out = append(out, name)
	}
	return out
}

// Latest returns the newest of sns that holds app. sns are in the order
// the repository lists them: oldest first.
func Latest(sns []repo.Snapshot, app string) (repo.Snapshot, error) {
	var best *repo.Snapshot
	for i := range sns {
		if HoldsApp(sns[i], app) && (best == nil || !sns[i].Time.Before(best.Time)) {
			best = &sns[i]
		}
	}
	if best == nil {
		return repo.Snapshot{}, fmt.Errorf("%w: no snapshot holds app %s (see drydock snapshots; apps are named as drydock volumes ls shows them)", repo.ErrSnapshotNotFound, app)
	}
	return *best, nil
}

// Load reads app's definition from snapshot sn.
func Load(ctx context.Context, r *repo.Repository, sn repo.Snapshot, app string) (*Definition, error) {
	if !HoldsApp(sn, app) {
		return nil, fmt.Errorf("snapshot %s holds no app %s (its apps: %v)", sn.ID.Str(), app, Apps(sn))
	}
	d := &Definition{App: app, Snapshot: sn}
	dir, err := snaptree.LookupDir(ctx, r, *sn.Tree, Dir(app))
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
	}
	files, err := snaptree.Files(ctx, r, dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: app %s: %w", sn.ID.Str(), app, err)
	}
	saved := map[string]*dvolume.Volume{}
	for _, f := range files {
		if err := d.add(ctx, r, f, saved); err != nil {
			return nil, fmt.Errorf("snapshot %s: app %s: %s: %w", sn.ID.Str(), app, f.Path, err)
		}
	}
	if d.Builds, err = loadBuilds(ctx, r, sn, app); err != nil {
		return nil, fmt.Errorf("snapshot %s: app %s: %w", sn.ID.Str(), app, err)
	}
	slices.SortFunc(d.Containers, func(a, b container.InspectResponse) int { return strings.Compare(a.Name, b.Name) })
	d.Volumes, d.Binds = snapshotVolumes(sn, saved)
	d.Unsaved = saved
	for _, v := range d.Volumes {
		delete(d.Unsaved, v.Name)
	}
	return d, nil
}

// add files one file of the app's directory into d.
func (d *Definition) add(ctx context.Context, r *repo.Repository, f snaptree.File, saved map[string]*dvolume.Volume) error {
	parts := strings.SplitN(f.Path, "/", 3)
	switch {
	case parts[0] == "dumps" && len(parts) == 2:
		d.Dumps = append(d.Dumps, parts[1])
	case parts[0] == "images" && len(parts) == 2:
		d.Images = append(d.Images, Image{File: parts[1], Node: f.Node})
	case parts[0] == "definition" && len(parts) == 3:
		return d.addDefinition(ctx, r, parts[1], parts[2], f.Node, saved)
	}
	return nil
}

func (d *Definition) addDefinition(ctx context.Context, r *repo.Repository, kind, rest string, n *format.Node, saved map[string]*dvolume.Volume) error {
	if kind == "compose" {
		project, host, ok := strings.Cut(rest, "/")
		if !ok {
			return nil
		}
		d.Compose = append(d.Compose, ComposeFile{Project: project, HostPath: "/" + host, Node: n})
		return nil
	}
	if kind == "services" {
		d.Services = append(d.Services, strings.TrimSuffix(rest, ".json"))
		return nil
	}
	var dst any
	switch kind {
	case "containers":
		d.Containers = append(d.Containers, container.InspectResponse{})
		dst = &d.Containers[len(d.Containers)-1]
	case "volumes":
		v := &dvolume.Volume{}
		dst = v
		defer func() {
			if v.Name != "" {
				saved[v.Name] = v
			}
		}()
	case "networks":
		d.Networks = append(d.Networks, network.Inspect{})
		dst = &d.Networks[len(d.Networks)-1]
	default:
		return nil // images/<id>.json and anything newer: informational
	}
	data, err := snaptree.ReadFile(ctx, r, n, maxDefinitionFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("not a docker inspect document: %w", err)
	}
	if c, ok := dst.(*container.InspectResponse); ok && !complete(*c) {
		return errors.New("not a complete container inspect document (no ID, name, config or host config)")
	}
	return nil
}

// complete: what creating the container again needs is there, so the rest
// of the package may rely on it.
func complete(c container.InspectResponse) bool {
	return c.ContainerJSONBase != nil && c.ID != "" && c.Name != "" && c.Config != nil && c.HostConfig != nil
}

// snapshotVolumes pairs each volume the snapshot holds (tag volume=NAME)
// with its directory in the snapshot and its saved inspect, and lists the
// bind mounts it holds (tag bind=PATH).
func snapshotVolumes(sn repo.Snapshot, saved map[string]*dvolume.Volume) ([]Volume, []string) {
	var vols []Volume
	var binds []string
	for _, t := range sn.Tags {
		if p, ok := strings.CutPrefix(t, "bind="); ok && slices.Contains(sn.Paths, p) {
			binds = append(binds, p)
		}
		name, ok := strings.CutPrefix(t, "volume=")
		if !ok {
			continue
		}
		v := Volume{Name: name, Saved: saved[name]}
		v.Path = volumePath(sn, v)
		if v.Path != "" {
			vols = append(vols, v)
		}
	}
	slices.SortFunc(vols, func(a, b Volume) int { return strings.Compare(a.Name, b.Name) })
	return vols, binds
}

// volumePath finds the snapshot path of v: its saved mountpoint, else the
// one path ending in /<name>/_data.
func volumePath(sn repo.Snapshot, v Volume) string {
	if v.Saved != nil && slices.Contains(sn.Paths, v.Saved.Mountpoint) {
		return v.Saved.Mountpoint
	}
	var cands []string
	for _, p := range sn.Paths {
		if path.Base(p) == "_data" && path.Base(path.Dir(p)) == v.Name {
			cands = append(cands, p)
		}
	}
	if len(cands) == 1 {
		return cands[0]
	}
	return ""
}

// Volume returns the saved volume called name.
func (d *Definition) Volume(name string) (Volume, bool) {
	i := slices.IndexFunc(d.Volumes, func(v Volume) bool { return v.Name == name })
	if i < 0 {
		return Volume{}, false
	}
	return d.Volumes[i], true
}

// Container returns the saved container called name.
func (d *Definition) Container(name string) (container.InspectResponse, bool) {
	i := slices.IndexFunc(d.Containers, func(c container.InspectResponse) bool { return ContainerName(c) == name })
	if i < 0 {
		return container.InspectResponse{}, false
	}
	return d.Containers[i], true
}

// ContainerName is a saved container's name without Docker's slash.
func ContainerName(c container.InspectResponse) string {
	if c.ContainerJSONBase == nil {
		return ""
	}
	return strings.TrimPrefix(c.Name, "/")
}

// ImageFor returns the saved image archive of container c, if the
// snapshot holds one: saved by its reference or by its ID.
func (d *Definition) ImageFor(c container.InspectResponse) (Image, bool) {
	var names []string
	if c.Config != nil && c.Config.Image != "" {
		names = append(names, volume.FileName(c.Config.Image)+".tar")
	}
	names = append(names, volume.FileName(strings.TrimPrefix(c.Image, "sha256:"))+".tar")
	for _, n := range names {
		if i := slices.IndexFunc(d.Images, func(im Image) bool { return im.File == n }); i >= 0 {
			return d.Images[i], true
		}
	}
	return Image{}, false
}

// ErrNoDefinition: the snapshot holds the app's data but not what it
// takes to create its containers (made before definitions were saved, or
// the app has none).
var ErrNoDefinition = errors.New("the snapshot holds no container definitions for the app")
