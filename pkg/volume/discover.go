package volume

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	dvolume "github.com/docker/docker/api/types/volume"
)

// Container is what drydock needs to know about one container.
type Container struct {
	ID      string
	Name    string // without the leading slash
	Project string // compose project, "" when not from compose
	Service string // compose service
	Number  string // compose container-number
	Running bool
	// Healthcheck is true when the container has a healthcheck, so a start
	// waits until it reports healthy.
	Healthcheck bool
	Labels      map[string]string
	Image       string // as created, e.g. postgres:16
	ImageID     string
	Settings    Settings
	// SettingsErr holds malformed drydock labels; such a container's
	// volumes are skipped rather than guessed about.
	SettingsErr error
	Mounts      []Mount
	Deps        []RawDep
	// Swarm is the service the container is a task of; nil for a plain
	// container. Its Settings then come from the service's labels and the
	// container's (see mergeLabels).
	Swarm *Service
	// healthBudget is how long the container may fail its healthcheck
	// before it is unhealthy (interval x retries); 0 without one.
	healthBudget time.Duration
}

// Ref returns the identity drydock journals for c.
func (c *Container) Ref() ContainerRef {
	r := ContainerRef{ID: c.ID, Name: c.Name, Project: c.Project, Service: c.Service, Number: c.Number}
	if c.Swarm != nil {
		r.SwarmService, r.SwarmServiceName = c.Swarm.ID, c.Swarm.Name
	}
	return r
}

// ContainerRef identifies a container across re-creation: compose gives the
// new container a new ID but the same project, service and number.
type ContainerRef struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Project string `json:"project,omitempty"`
	Service string `json:"service,omitempty"`
	Number  string `json:"number,omitempty"`
	// SwarmService is the ID of the Swarm service the container is a task
	// of: such a container is never stopped or started itself, and a hook
	// or dump for it runs in any running task of the service.
	SwarmService     string `json:"swarm_service,omitempty"`
	SwarmServiceName string `json:"swarm_service_name,omitempty"`
}

func (r ContainerRef) String() string { return r.Name }

// Mount is a volume or bind mount of a container.
type Mount struct {
	Bind        bool   // bind mount rather than named volume
	Name        string // volume name; host path for a bind mount
	Source      string // host path
	Destination string // path inside the container
	RW          bool
}

// VolumeInfo is a named volume as Docker lists it.
type VolumeInfo struct {
	Name        string
	Driver      string
	Mountpoint  string
	Labels      map[string]string
	Settings    Settings
	SettingsErr error
}

// Inventory is everything discovered on one Docker host.
type Inventory struct {
	Volumes    []VolumeInfo
	Containers []*Container
	// Services are the Swarm services of the containers, by name.
	Services []*Service
}

// Discover lists volumes and every container (running or not) with its
// mounts, dependencies and drydock labels. Compose one-off containers
// (`docker compose run`) are ignored: they come and go and are never
// restarted by drydock. So are a restore drill's containers and volumes,
// and drydock's own HostLockVolume.
func (m *Manager) Discover(ctx context.Context) (*Inventory, error) {
	vols, err := m.api.VolumeList(ctx, dvolume.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	inv := &Inventory{}
	for _, v := range vols.Volumes {
		if v == nil || isDrill(v.Labels) || isHostLock(v) {
			continue
		}
		vi := VolumeInfo{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: v.Labels}
		vi.Settings, vi.SettingsErr = ParseSettings(v.Labels)
		inv.Volumes = append(inv.Volumes, vi)
	}
	slices.SortFunc(inv.Volumes, func(a, b VolumeInfo) int { return strings.Compare(a.Name, b.Name) })

	list, err := m.api.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var found []container.InspectResponse
	for _, s := range list {
		if isOneoff(s.Labels) || isDrill(s.Labels) {
			continue
		}
		// A stopped task is history: Swarm never starts it again, it
		// starts new tasks.
		if s.Labels[SwarmServiceID] != "" && s.State != "running" && s.State != "paused" {
			continue
		}
		ins, err := m.api.ContainerInspect(ctx, s.ID)
		if err != nil {
			if isNotFound(err) { // removed since the list
				continue
			}
			return nil, fmt.Errorf("inspect container %s: %w", s.ID[:12], err)
		}
		found = append(found, ins)
	}
	services := m.discoverServices(ctx, found)
	for _, ins := range found {
		var svc *Service
		if ins.Config != nil {
			svc = services[ins.Config.Labels[SwarmServiceID]]
		}
		inv.Containers = append(inv.Containers, containerFromInspect(ins, svc))
	}
	slices.SortFunc(inv.Containers, func(a, b *Container) int { return strings.Compare(a.Name, b.Name) })
	for _, svc := range services {
		inv.Services = append(inv.Services, svc)
	}
	slices.SortFunc(inv.Services, func(a, b *Service) int { return strings.Compare(a.Name, b.Name) })
	return inv, nil
}

// isDrill: a restore drill's scratch copy, which only the drill manages.
func isDrill(labels map[string]string) bool {
	_, ok := labels[LabelDrill]
	return ok
}

func isOneoff(labels map[string]string) bool {
	return strings.EqualFold(labels[ComposeOneoff], "true")
}

// containerFromInspect converts Docker's view of a container to ours.
// svc is the Swarm service it is a task of, or nil.
func containerFromInspect(ins container.InspectResponse, svc *Service) *Container {
	c := &Container{ID: ins.ID, Name: strings.TrimPrefix(ins.Name, "/"), Swarm: svc}
	if ins.State != nil {
		c.Running = ins.State.Running
	}
	c.ImageID = ins.Image
	if cfg := ins.Config; cfg != nil {
		c.Labels = cfg.Labels
		c.Image = cfg.Image
		c.Healthcheck = cfg.Healthcheck != nil && len(cfg.Healthcheck.Test) > 0 && cfg.Healthcheck.Test[0] != "NONE"
		if c.Healthcheck {
			c.healthBudget = healthBudget(cfg.Healthcheck)
		}
	}
	c.Project = c.Labels[ComposeProject]
	c.Service = c.Labels[ComposeService]
	c.Number = c.Labels[ComposeContainerNumber]
	labels, err := c.Labels, error(nil)
	if svc != nil {
		labels, err = mergeLabels(svc, c.Labels)
	}
	c.Settings, c.SettingsErr = ParseSettings(labels)
	c.SettingsErr = joinErrs([]error{err, c.SettingsErr})
	for _, mp := range ins.Mounts {
		switch mp.Type {
		case mount.TypeVolume:
			c.Mounts = append(c.Mounts, Mount{Name: mp.Name, Source: mp.Source, Destination: mp.Destination, RW: mp.RW})
		case mount.TypeBind:
			c.Mounts = append(c.Mounts, Mount{Bind: true, Name: mp.Source, Source: mp.Source, Destination: mp.Destination, RW: mp.RW})
		}
	}
	c.Deps = containerDeps(c, ins.HostConfig)
	return c
}

// containerDeps collects every dependency Docker records for a container.
func containerDeps(c *Container, hc *container.HostConfig) []RawDep {
	var deps []RawDep
	if v, ok := c.Labels[ComposeDependsOn]; ok {
		cds, err := ParseComposeDependsOn(v)
		if err != nil {
			c.SettingsErr = joinErrs([]error{c.SettingsErr, err})
		}
		for _, d := range cds {
			deps = append(deps, RawDep{Source: DepCompose, Target: d.Service})
		}
	}
	if hc != nil {
		for _, l := range hc.Links {
			deps = append(deps, RawDep{Source: DepLink, Target: parseLink(l)})
		}
		if x, ok := containerModeTarget(string(hc.NetworkMode)); ok {
			deps = append(deps, RawDep{Source: DepNetwork, Target: x})
		}
		if x, ok := containerModeTarget(string(hc.IpcMode)); ok {
			deps = append(deps, RawDep{Source: DepIPC, Target: x})
		}
		if x, ok := containerModeTarget(string(hc.PidMode)); ok {
			deps = append(deps, RawDep{Source: DepPID, Target: x})
		}
		for _, v := range hc.VolumesFrom {
			deps = append(deps, RawDep{Source: DepVolumesFrom, Target: parseVolumesFrom(v)})
		}
	}
	for _, d := range c.Settings.DependsOn {
		deps = append(deps, RawDep{Source: DepLabel, Target: d})
	}
	return deps
}

// isHostLock tells whether v is drydock's host lock volume: by name too,
// should someone have made one without the label.
func isHostLock(v *dvolume.Volume) bool {
	_, ok := v.Labels[LabelHostLock]
	return ok || v.Name == HostLockVolume
}
