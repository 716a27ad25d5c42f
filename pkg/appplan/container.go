package appplan

import (
	"strings"
	"time"

	"github.com/drydock-backup/drydock/internal/errjoin"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
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

// ContainerFromInspect converts Docker's view of a container to ours.
// svc is the Swarm service it is a task of, or nil.
func ContainerFromInspect(ins container.InspectResponse, svc *Service) *Container {
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
	c.SettingsErr = errjoin.Join(err, c.SettingsErr)
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
			c.SettingsErr = errjoin.Join(c.SettingsErr, err)
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
