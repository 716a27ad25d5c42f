package volume

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// Discover lists volumes and every container (running or not) with its
// mounts, dependencies and drydock labels. Compose one-off containers
// (`docker compose run`) are ignored: they come and go and are never
// restarted by drydock. So are a restore drill's containers and volumes,
// and drydock's own HostLockVolume.
func (m *Manager) Discover(ctx context.Context) (*appplan.Inventory, error) {
	vols, err := m.host.VolumeList(ctx, dvolume.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	inv := &appplan.Inventory{}
	for _, v := range vols.Volumes {
		if v == nil || isDrill(v.Labels) || isHostLock(v) {
			continue
		}
		vi := appplan.VolumeInfo{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: v.Labels}
		vi.Settings, vi.SettingsErr = appplan.ParseSettings(v.Labels)
		inv.Volumes = append(inv.Volumes, vi)
	}
	slices.SortFunc(inv.Volumes, func(a, b appplan.VolumeInfo) int { return strings.Compare(a.Name, b.Name) })

	list, err := m.ctr.ContainerList(ctx, container.ListOptions{All: true})
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
		if s.Labels[appplan.SwarmServiceID] != "" && s.State != "running" && s.State != "paused" {
			continue
		}
		ins, err := m.ctr.ContainerInspect(ctx, s.ID)
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
		var svc *appplan.Service
		if ins.Config != nil {
			svc = services[ins.Config.Labels[appplan.SwarmServiceID]]
		}
		inv.Containers = append(inv.Containers, appplan.ContainerFromInspect(ins, svc))
	}
	slices.SortFunc(inv.Containers, func(a, b *appplan.Container) int { return strings.Compare(a.Name, b.Name) })
	for _, svc := range services {
		inv.Services = append(inv.Services, svc)
	}
	slices.SortFunc(inv.Services, func(a, b *appplan.Service) int { return strings.Compare(a.Name, b.Name) })
	return inv, nil
}

// isDrill: a restore drill's scratch copy, which only the drill manages.
func isDrill(labels map[string]string) bool {
	_, ok := labels[appplan.LabelDrill]
	return ok
}

func isOneoff(labels map[string]string) bool {
	return strings.EqualFold(labels[appplan.ComposeOneoff], "true")
}

// isHostLock tells whether v is drydock's host lock volume: by name too,
// should someone have made one without the label.
func isHostLock(v *dvolume.Volume) bool {
	_, ok := v.Labels[appplan.LabelHostLock]
	return ok || v.Name == HostLockVolume
}
