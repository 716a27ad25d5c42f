package appdef

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// Mode says what a saved container is created again for.
type Mode int

const (
	// Recreate creates the container as it was: same name, mounts,
	// networks, ports and restart policy.
	Recreate Mode = iota
	// Drill creates an isolated copy: network none, no published ports, no
	// restart policy, every volume replaced by a scratch volume, other
	// bind mounts read-only, and no compose or drydock labels (so neither
	// compose nor drydock's discovery takes it for the app).
	Drill
)

// SpecOptions say how Build turns a saved container into a new one.
type SpecOptions struct {
	Mode  Mode
	Name  string // name to create it under
	Image string // image reference or ID to create it from
	// Containers maps the names and IDs of the app's saved containers to
	// the names of their new counterparts, for volumes_from, container:
	// network, pid and ipc modes.
	Containers map[string]string
	// Volumes maps saved volume names to the volume to mount instead. In
	// Drill mode every volume the container mounts must be mapped: a drill
	// never mounts a real volume.
	Volumes map[string]string
	// Binds maps saved bind mount host paths to a volume to mount instead
	// (Drill: the scratch copy of a bind mount the snapshot holds).
	Binds map[string]string
	// Inherited are mount destinations the container gets through
	// volumes_from: they are not mounted again explicitly.
	Inherited []string
	Labels    map[string]string // added to the container's labels
}

// Spec is what ContainerCreate takes, and the networks to connect after
// (Docker before API 1.44 takes one network at create).
type Spec struct {
	Name       string
	Config     *container.Config
	HostConfig *container.HostConfig
	Networking *network.NetworkingConfig
	Connect    []Endpoint
	Warnings   []string
}

// Endpoint is a network to connect a created container to.
type Endpoint struct {
	Network  string
	Settings *network.EndpointSettings
}

// Build turns the saved inspect of a container into what creates it again.
func Build(saved container.InspectResponse, o SpecOptions) (Spec, error) {
	if !complete(saved) {
		return Spec{}, fmt.Errorf("container %s: incomplete saved definition", ContainerName(saved))
	}
	s := Spec{Name: o.Name, Config: &container.Config{}, HostConfig: &container.HostConfig{}}
	if err := deepCopy(saved.Config, s.Config); err != nil {
		return Spec{}, err
	}
	if err := deepCopy(saved.HostConfig, s.HostConfig); err != nil {
		return Spec{}, err
	}
	b := builder{saved: saved, o: o, s: &s}
	b.config()
	if err := b.mounts(); err != nil {
		return Spec{}, fmt.Errorf("container %s: %w", ContainerName(saved), err)
	}
	b.modes()
	if o.Mode == Drill {
		b.isolate()
	} else {
		b.networks()
	}
	b.joined()
	return s, nil
}

type builder struct {
	saved container.InspectResponse
	o     SpecOptions
	s     *Spec
}

func (b *builder) warn(format string, args ...any) {
	b.s.Warnings = append(b.s.Warnings, fmt.Sprintf("container %s: ", ContainerName(b.saved))+fmt.Sprintf(format, args...))
}

// config sets the image and labels, and drops what Docker made up for the
// old container (its ID as hostname).
func (b *builder) config() {
	c := b.s.Config
	c.Image = b.o.Image
	if c.Hostname == shortID(b.saved.ID) {
		c.Hostname = ""
	}
	if b.o.Mode == Drill {
		maps.DeleteFunc(c.Labels, func(k, _ string) bool {
			return strings.HasPrefix(k, "com.docker.compose.") || strings.HasPrefix(k, "com.docker.swarm.") || strings.HasPrefix(k, "com.docker.stack.") || strings.HasPrefix(k, "drydock.")
		})
	}
	if len(b.o.Labels) > 0 && c.Labels == nil {
		c.Labels = map[string]string{}
	}
	maps.Copy(c.Labels, b.o.Labels)
}

// mounts rewrites -v and --mount entries and mounts explicitly the
// volumes Docker created on its own (an image's VOLUME), which a new
// container would otherwise get empty.
func (b *builder) mounts() error {
	hc := b.s.HostConfig
	covered := slices.Clone(b.o.Inherited)
	for i, spec := range hc.Binds {
		out, dst, err := b.bindSpec(spec)
		if err != nil {
			return err
		}
		hc.Binds[i] = out
		covered = append(covered, dst)
	}
	for i := range hc.Mounts {
		m := &hc.Mounts[i]
		if err := b.mount(m); err != nil {
			return err
		}
		covered = append(covered, path.Clean(m.Target))
	}
	for _, mp := range b.saved.Mounts {
		if mp.Type != mount.TypeVolume || slices.Contains(covered, path.Clean(mp.Destination)) {
			continue
		}
		m := mount.Mount{Type: mount.TypeVolume, Source: mp.Name, Target: mp.Destination, ReadOnly: !mp.RW}
		if err := b.mount(&m); err != nil {
			return err
		}
		hc.Mounts = append(hc.Mounts, m)
	}
	return nil
}

// bindSpec rewrites one "SRC:DST[:OPTS]" entry of HostConfig.Binds.
func (b *builder) bindSpec(spec string) (out, dst string, err error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 {
		return "", "", fmt.Errorf("bind %q: not SRC:DST[:OPTS]", spec)
	}
	m := mount.Mount{Type: mount.TypeVolume, Source: parts[0], Target: parts[1]}
	if path.IsAbs(parts[0]) {
		m.Type = mount.TypeBind
	}
	var opts []string
	if len(parts) > 2 {
		opts = strings.Split(parts[2], ",")
		m.ReadOnly = slices.Contains(opts, "ro")
	}
	if b.o.Mode != Drill {
		return spec, path.Clean(m.Target), nil // as the user wrote it
	}
	if err := b.mount(&m); err != nil {
		return "", "", err
	}
	opts = slices.DeleteFunc(opts, func(o string) bool { return o == "ro" || o == "rw" })
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	if m.Type == mount.TypeVolume {
		// A bind turned into a volume keeps no bind-only options.
		opts = slices.DeleteFunc(opts, func(o string) bool {
			return strings.Contains(o, "private") || strings.Contains(o, "shared") || strings.Contains(o, "slave")
		})
	}
	out = m.Source + ":" + m.Target
	if len(opts) > 0 {
		out += ":" + strings.Join(opts, ",")
	}
	return out, path.Clean(m.Target), nil
}

// mount rewrites one mount for the mode: in a drill every volume becomes
// its scratch copy and a bind either its scratch copy or read-only.
func (b *builder) mount(m *mount.Mount) error {
	if b.o.Mode != Drill {
		return nil
	}
	switch m.Type {
	case mount.TypeVolume:
		if m.Source == "" {
			return nil // anonymous: a fresh empty volume, not the app's
		}
		v, ok := b.o.Volumes[m.Source]
		if !ok {
			return fmt.Errorf("volume %s has no scratch copy", m.Source)
		}
		m.Source = v
		m.VolumeOptions = nil
	case mount.TypeBind:
		if v, ok := b.o.Binds[m.Source]; ok {
			m.Type, m.Source, m.BindOptions = mount.TypeVolume, v, nil
			return nil
		}
		m.ReadOnly = true
	}
	return nil
}

// modes points volumes_from and container: modes at the new containers.
func (b *builder) modes() {
	hc := b.s.HostConfig
	var from []string
	for _, v := range hc.VolumesFrom {
		name, opt, _ := strings.Cut(v, ":")
		n, ok := b.o.Containers[name]
		switch {
		case ok:
			name = n
		case b.o.Mode == Drill:
			b.warn("volumes_from %s: not a container of the app, left out of the drill", name)
			continue
		}
		if opt != "" {
			name += ":" + opt
		}
		from = append(from, name)
	}
	hc.VolumesFrom = from
	hc.NetworkMode = container.NetworkMode(b.containerMode(string(hc.NetworkMode), "network"))
	hc.PidMode = container.PidMode(b.containerMode(string(hc.PidMode), "pid"))
	hc.IpcMode = container.IpcMode(b.containerMode(string(hc.IpcMode), "ipc"))
	if b.o.Mode == Recreate {
		hc.Links = normalLinks(hc.Links)
	}
}

func (b *builder) containerMode(mode, what string) string {
	target, ok := strings.CutPrefix(mode, "container:")
	if !ok {
		return mode
	}
	if n, ok := b.o.Containers[target]; ok {
		return "container:" + n
	}
	if b.o.Mode == Drill {
		b.warn("%s mode %s: not a container of the app, left out of the drill", what, mode)
		return ""
	}
	return mode
}

// normalLinks turns the links Docker reports ("/db:/web/alias") into the
// form it takes ("db:alias").
func normalLinks(links []string) []string {
	out := make([]string, 0, len(links))
	for _, l := range links {
		name, alias, ok := strings.Cut(l, ":")
		name = strings.TrimPrefix(name, "/")
		if ok {
			out = append(out, name+":"+path.Base(alias))
		} else {
			out = append(out, name)
		}
	}
	return out
}

// isolate cuts a drill copy off the network and the host's ports and
// keeps Docker from restarting or removing it behind the drill's back.
func (b *builder) isolate() {
	hc := b.s.HostConfig
	if !strings.HasPrefix(string(hc.PidMode), "container:") && hc.PidMode != "" {
		b.warn("pid mode %s dropped", hc.PidMode)
		hc.PidMode = ""
	}
	if !hc.NetworkMode.IsContainer() { // else the copy of an app's container: see modes
		hc.NetworkMode = "none"
	}
	hc.Links = nil
	hc.PortBindings = nil
	hc.PublishAllPorts = false
	hc.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyDisabled}
	hc.AutoRemove = false
	hc.ContainerIDFile = ""
	b.s.Config.ExposedPorts = nil
}

// joined drops what Docker refuses on a container that joins another's
// network namespace: those are the other container's (the saved hostname
// is its ID, the exposed ports come from the image), never this one's.
func (b *builder) joined() {
	c, hc := b.s.Config, b.s.HostConfig
	if !hc.NetworkMode.IsContainer() {
		return
	}
	c.Hostname, c.Domainname, c.ExposedPorts = "", "", nil
	hc.PortBindings, hc.PublishAllPorts = nil, false
	hc.DNS, hc.DNSSearch, hc.DNSOptions, hc.ExtraHosts, hc.Links = nil, nil, nil, nil, nil
}

// networks recreates the container's network attachments, aliases and
// static addresses included; the first at create, the others after.
func (b *builder) networks() {
	hc := b.s.HostConfig
	hc.ContainerIDFile = ""
	mode := string(hc.NetworkMode)
	if b.saved.NetworkSettings == nil || mode == "host" || mode == "none" || strings.HasPrefix(mode, "container:") {
		return
	}
	first := mode
	if first == "default" || first == "" {
		first = "bridge"
	}
	for _, name := range slices.Sorted(maps.Keys(b.saved.NetworkSettings.Networks)) {
		ep := endpoint(b.saved.NetworkSettings.Networks[name], shortID(b.saved.ID))
		if name == first {
			b.s.Networking = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{name: ep}}
			continue
		}
		b.s.Connect = append(b.s.Connect, Endpoint{Network: name, Settings: ep})
	}
}

// endpoint keeps what the user chose of an attachment, not what Docker
// assigned (IDs, dynamic addresses, the old ID as an alias).
func endpoint(saved *network.EndpointSettings, oldID string) *network.EndpointSettings {
	ep := &network.EndpointSettings{}
	if saved == nil {
		return ep
	}
	ep.IPAMConfig = saved.IPAMConfig
	ep.Links = normalLinks(saved.Links)
	ep.DriverOpts = saved.DriverOpts
	for _, a := range saved.Aliases {
		if a != oldID {
			ep.Aliases = append(ep.Aliases, a)
		}
	}
	return ep
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// deepCopy copies src into dst through JSON, as Docker's API sees them.
func deepCopy(src, dst any) error {
	data, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("copy saved definition: %w", err)
	}
	return json.Unmarshal(data, dst)
}

// Names maps the names and IDs of the saved containers to names built by
// rename (identity for a restore).
func (d *Definition) Names(rename func(string) string) map[string]string {
	m := map[string]string{}
	for _, c := range d.Containers {
		n := rename(ContainerName(c))
		m[ContainerName(c)] = n
		if c.ContainerJSONBase != nil {
			m[c.ID], m[shortID(c.ID)] = n, n
		}
	}
	return m
}

// Inherited returns the mount destinations c gets through volumes_from
// from other saved containers.
func (d *Definition) Inherited(c container.InspectResponse) []string {
	if c.HostConfig == nil {
		return nil
	}
	var out []string
	names := d.Names(func(s string) string { return s })
	for _, v := range c.HostConfig.VolumesFrom {
		ref, _, _ := strings.Cut(v, ":")
		if p, ok := d.Container(names[ref]); ok {
			for _, mp := range p.Mounts {
				out = append(out, path.Clean(mp.Destination))
			}
		}
	}
	return out
}

// IsSwarmTask reports whether c was a task of a Swarm service: the
// service, not the container, is what runs it again.
func IsSwarmTask(c container.InspectResponse) bool {
	return c.Config != nil && c.Config.Labels[appplan.SwarmServiceID] != ""
}
