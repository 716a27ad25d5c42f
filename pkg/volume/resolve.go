package volume

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// resolve finds the container ref names now: the same ID, else a container
// with the same compose project, service and number (compose recreated
// it), else one with the same name.
//
// For a Swarm task it finds a running task of the same service instead:
// tasks are replaced, not restarted, and any one of them will do for a
// hook, a dump or the definition.
func (m *Manager) resolve(ctx context.Context, ref appplan.ContainerRef) (string, error) {
	if ref.SwarmService != "" {
		return m.resolveTask(ctx, ref)
	}
	_, err := m.ctr.ContainerInspect(ctx, ref.ID)
	if err == nil {
		return ref.ID, nil
	}
	if !isNotFound(err) {
		return "", fmt.Errorf("inspect container %s: %w", ref.Name, err)
	}
	return m.replacement(ctx, ref)
}

// resolveInspect is resolve that also returns the container's inspect
// response, so a caller needing both asks Docker once on the common path
// (the same container).
func (m *Manager) resolveInspect(ctx context.Context, ref appplan.ContainerRef) (string, container.InspectResponse, error) {
	if ref.SwarmService == "" {
		ins, err := m.ctr.ContainerInspect(ctx, ref.ID)
		if err == nil {
			return ref.ID, ins, nil
		}
		if !isNotFound(err) {
			return "", ins, fmt.Errorf("inspect container %s: %w", ref.Name, err)
		}
	}
	var id string
	var err error
	if ref.SwarmService != "" {
		id, err = m.resolveTask(ctx, ref)
	} else {
		id, err = m.replacement(ctx, ref)
	}
	if err != nil {
		return "", container.InspectResponse{}, err
	}
	ins, err := m.ctr.ContainerInspect(ctx, id)
	if err != nil {
		return "", ins, fmt.Errorf("inspect container %s: %w", ref.Name, err)
	}
	return id, ins, nil
}

// replacement finds the container that replaced ref, which is gone: the
// same compose project, service and number, else the same name.
func (m *Manager) replacement(ctx context.Context, ref appplan.ContainerRef) (string, error) {
	f := filters.NewArgs()
	if ref.Project != "" && ref.Service != "" {
		f.Add("label", appplan.ComposeProject+"="+ref.Project)
		f.Add("label", appplan.ComposeService+"="+ref.Service)
		if ref.Number != "" {
			f.Add("label", appplan.ComposeContainerNumber+"="+ref.Number)
		}
	} else {
		f.Add("name", ref.Name)
	}
	list, err := m.ctr.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return "", fmt.Errorf("find replacement of container %s: %w", ref.Name, err)
	}
	for _, c := range list {
		if isOneoff(c.Labels) {
			continue
		}
		if ref.Project == "" && !slices.Contains(c.Names, "/"+ref.Name) {
			continue // the name filter matches substrings
		}
		m.log.Info("container was recreated", "container", ref.Name, "old", shortID(ref.ID), "new", shortID(c.ID))
		return c.ID, nil
	}
	return "", fmt.Errorf("container %s (%s): %w", ref.Name, shortID(ref.ID), ErrGone)
}

func (m *Manager) resolveTask(ctx context.Context, ref appplan.ContainerRef) (string, error) {
	id, name, err := m.runningTask(ctx, ref)
	if err == nil && id != ref.ID {
		m.log.Info("Swarm task was replaced since the plan: using the one running now", "service", ref.SwarmServiceName,
			"planned", ref.Name, "task", name, "id", shortID(id))
	}
	return id, err
}

// runningTask returns ref's container while it runs, else the first
// (by ID) running task of its service on this node, with its name.
func (m *Manager) runningTask(ctx context.Context, ref appplan.ContainerRef) (id, name string, err error) {
	ins, err := m.ctr.ContainerInspect(ctx, ref.ID)
	if err == nil && ins.State != nil && ins.State.Running {
		return ref.ID, ref.Name, nil
	}
	if err != nil && !isNotFound(err) {
		return "", "", fmt.Errorf("inspect container %s: %w", ref.Name, err)
	}
	tasks, err := m.runningTasks(ctx, ref)
	if err != nil {
		return "", "", err
	}
	if len(tasks) == 0 {
		return "", "", fmt.Errorf("swarm service %s: no running task on this node: %w", ref.SwarmServiceName, ErrGone)
	}
	return tasks[0].ID, tasks[0].Name, nil
}

// runningTasks lists the running containers of ref's Swarm service on
// this node, by ID.
func (m *Manager) runningTasks(ctx context.Context, ref appplan.ContainerRef) ([]appplan.ContainerRef, error) {
	list, err := m.ctr.ContainerList(ctx, container.ListOptions{Filters: labelFilter(appplan.SwarmServiceID, ref.SwarmService)})
	if err != nil {
		return nil, fmt.Errorf("find a running task of Swarm service %s: %w", ref.SwarmServiceName, err)
	}
	slices.SortFunc(list, func(a, b container.Summary) int { return strings.Compare(a.ID, b.ID) })
	var out []appplan.ContainerRef
	for _, c := range list {
		if c.State != "running" {
			continue
		}
		t := ref
		t.ID, t.Name = c.ID, c.ID
		if len(c.Names) > 0 {
			t.Name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, t)
	}
	return out, nil
}

// runs reports whether the container ref names runs now; for a Swarm
// task, whether any task of its service runs here.
func (m *Manager) runs(ctx context.Context, ref appplan.ContainerRef) bool {
	id := ref.ID
	if ref.SwarmService != "" {
		var err error
		if id, _, err = m.runningTask(ctx, ref); err != nil {
			return false
		}
	}
	ins, err := m.ctr.ContainerInspect(ctx, id)
	return err == nil && ins.State != nil && ins.State.Running
}
