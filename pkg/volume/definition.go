package volume

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// DefinitionFile is one file of what it takes to run an app again.
type DefinitionFile struct {
	// Path is relative to the app's definition directory:
	// containers/<name>.json, volumes/<name>.json, networks/<name>.json,
	// images/<id>.json, services/<name>.json (Swarm), compose/<project>/<host
	// path of the file>, build/<project>/<service>/... (see composeBuilds).
	Path string
	Data []byte
	// Source, if set instead of Data, is a host file streamed into the
	// snapshot; Link, if set, makes the file a symbolic link to it.
	Source, Link string
	// Mode and ModTime, if set, are kept (a build context's files);
	// otherwise the file is 0600 and has the backup's time.
	Mode    os.FileMode
	ModTime time.Time
}

// maxComposeFile bounds what is read of one compose or .env file.
const maxComposeFile = 16 << 20

// predefined networks are the host's, not the app's.
var predefinedNetworks = []string{"bridge", "host", "none", "default"}

// Definition collects the app's definition: `docker inspect` of its
// containers, volumes, user-defined networks and images, and the compose
// files and .env of its compose projects, read from the paths compose
// recorded, and the build contexts of their services. A file that cannot
// be read is a warning (the backup goes on without it); Docker failing to
// inspect is an error.
func (m *Manager) Definition(ctx context.Context, app appplan.App) (files []DefinitionFile, warnings []string, err error) {
	nets, images, mounted := map[string]bool{}, map[string]bool{}, map[string]bool{}
	projects := map[string]map[string]string{}            // project -> labels of one container
	services := map[string]map[string]map[string]string{} // project -> service -> labels of one container
	for _, ref := range app.Containers {
		if ref.SwarmService != "" {
			// The service is what runs the app again: docker service
			// inspect, as a manager sees it.
			_, raw, err := m.ctr.ServiceInspectWithRaw(ctx, ref.SwarmService, swarm.ServiceInspectOptions{})
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("inspect Swarm service %s: %v", ref.SwarmServiceName, err))
			} else {
				files = append(files, DefinitionFile{Path: "services/" + FileName(ref.SwarmServiceName) + ".json", Data: indentJSON(raw)})
			}
		}
		id, err := m.resolve(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		ins, raw, err := m.host.ContainerInspectWithRaw(ctx, id, false)
		if err != nil {
			return nil, nil, fmt.Errorf("inspect container %s: %w", ref.Name, err)
		}
		files = append(files, DefinitionFile{Path: "containers/" + FileName(ref.Name) + ".json", Data: indentJSON(raw)})
		images[ins.Image] = true
		for _, mp := range ins.Mounts {
			if mp.Type == "volume" && mp.Name != "" {
				mounted[mp.Name] = true
			}
		}
		if ins.NetworkSettings != nil {
			for n := range ins.NetworkSettings.Networks {
				nets[n] = true
			}
		}
		if ins.Config != nil && ins.Config.Labels[appplan.ComposeProject] != "" {
			p := ins.Config.Labels[appplan.ComposeProject]
			projects[p] = ins.Config.Labels
			if svc := ins.Config.Labels[appplan.ComposeService]; svc != "" {
				if services[p] == nil {
					services[p] = map[string]map[string]string{}
				}
				services[p][svc] = ins.Config.Labels
			}
		}
	}
	for _, v := range app.Volumes {
		if v.Bind {
			continue
		}
		_, raw, err := m.host.VolumeInspectWithRaw(ctx, v.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("inspect volume %s: %w", v.Name, err)
		}
		files = append(files, DefinitionFile{Path: "volumes/" + FileName(v.Name) + ".json", Data: indentJSON(raw)})
		delete(mounted, v.Name)
	}
	// The volumes the backup leaves out (a cache tier) are described too:
	// a restore creates them as they were, a drill knows to boot them empty.
	for _, n := range slices.Sorted(maps.Keys(mounted)) {
		_, raw, err := m.host.VolumeInspectWithRaw(ctx, n)
		if err != nil { // informational: a drill then warns of it as missing
			m.log.Debug("inspect volume not backed up", "volume", n, "err", err)
			continue
		}
		files = append(files, DefinitionFile{Path: "volumes/" + FileName(n) + ".json", Data: indentJSON(raw)})
	}
	for _, n := range slices.Sorted(maps.Keys(nets)) {
		if slices.Contains(predefinedNetworks, n) {
			continue
		}
		_, raw, err := m.host.NetworkInspectWithRaw(ctx, n, network.InspectOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("inspect network %s: %w", n, err)
		}
		files = append(files, DefinitionFile{Path: "networks/" + FileName(n) + ".json", Data: indentJSON(raw)})
	}
	for _, id := range slices.Sorted(maps.Keys(images)) {
		_, raw, err := m.host.ImageInspectWithRaw(ctx, id)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("inspect image %s: %v", id, err)) // removed since: the container still runs
			continue
		}
		files = append(files, DefinitionFile{Path: "images/" + FileName(strings.TrimPrefix(id, "sha256:")) + ".json", Data: indentJSON(raw)})
	}
	for _, p := range slices.Sorted(maps.Keys(projects)) {
		cf, w := composeFiles(p, projects[p])
		files, warnings = append(files, cf...), append(warnings, w...)
		bf, w := composeBuilds(p, projects[p], services[p])
		files, warnings = append(files, bf...), append(warnings, w...)
	}
	return files, warnings, nil
}

// composeFiles reads the files compose recorded on a project's
// containers: its config files and its environment file (else .env in
// its working directory, if there is one).
func composeFiles(project string, labels map[string]string) (files []DefinitionFile, warnings []string) {
	paths := splitList(labels[appplan.ComposeConfigFiles])
	envs := splitList(labels[appplan.ComposeEnvFile])
	optional := map[string]bool{}
	if len(envs) == 0 && labels[appplan.ComposeWorkingDir] != "" {
		env := filepath.Join(labels[appplan.ComposeWorkingDir], ".env")
		envs, optional[env] = []string{env}, true
	}
	for _, p := range slices.Concat(paths, envs) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(labels[appplan.ComposeWorkingDir], p)
		}
		data, err := readSmall(p)
		if errors.Is(err, fs.ErrNotExist) && optional[p] {
			continue
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("compose project %s: %v", project, err))
			continue
		}
		files = append(files, DefinitionFile{Path: path.Join("compose", FileName(project), filepath.ToSlash(filepath.Clean(p))), Data: data})
	}
	return files, warnings
}

func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxComposeFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > maxComposeFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxComposeFile)
	}
	return data, nil
}

// indentJSON makes Docker's JSON readable; it is kept as is if it is not
// valid JSON.
func indentJSON(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return raw
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// FileName makes s (a container, volume or image name) one file name of
// an app's saved definition.
func FileName(s string) string {
	s = strings.NewReplacer("/", "_", "\x00", "_").Replace(s)
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
