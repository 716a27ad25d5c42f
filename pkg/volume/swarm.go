package volume

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// discoverServices inspects the Swarm services the containers are tasks
// of. A failure (this node is no manager, the service was removed) is kept
// on the Service: its tasks then cannot be scaled, which the plan reports.
func (m *Manager) discoverServices(ctx context.Context, cs []container.InspectResponse) map[string]*appplan.Service {
	out := map[string]*appplan.Service{}
	for _, ins := range cs {
		if ins.Config == nil {
			continue
		}
		id := ins.Config.Labels[appplan.SwarmServiceID]
		if id == "" || out[id] != nil {
			continue
		}
		svc := &appplan.Service{ID: id, Name: ins.Config.Labels[appplan.SwarmServiceName]}
		out[id] = svc
		s, _, err := m.ctr.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
		if err != nil {
			svc.Err = fmt.Errorf("inspect Swarm service %s: %w", svc.Name, err)
			continue
		}
		svc.Name, svc.Labels = s.Spec.Name, s.Spec.Labels
		switch mode := s.Spec.Mode; {
		case mode.Replicated != nil:
			svc.Mode = "replicated"
			if mode.Replicated.Replicas != nil {
				svc.Replicas = *mode.Replicated.Replicas
			}
		case mode.Global != nil:
			svc.Mode, svc.Global = "global", true
		case mode.ReplicatedJob != nil:
			svc.Mode = "replicated-job"
		case mode.GlobalJob != nil:
			svc.Mode = "global-job"
		}
	}
	return out
}

// ScaledService is a Swarm service drydock scaled to 0 for the final pass
// and back to Replicas.
type ScaledService struct {
	ID       string
	Name     string
	Replicas uint64
}

// liveTaskStates are the task states in which a task's container may run.
var liveTaskStates = []swarm.TaskState{swarm.TaskStateNew, swarm.TaskStateAllocated, swarm.TaskStatePending,
	swarm.TaskStateAssigned, swarm.TaskStateAccepted, swarm.TaskStatePreparing, swarm.TaskStateReady,
	swarm.TaskStateStarting, swarm.TaskStateRunning}

// scaleDown scales the replicated service id to 0 and waits until none of
// its tasks runs, on any node. record is called with the replica count
// before the update is sent (the journal). It returns the count to scale
// back to; 0 when the service asked for none.
func (m *Manager) scaleDown(ctx context.Context, id, name string, record func(uint64) error) (uint64, error) {
	svc, _, err := m.ctr.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("swarm service %s: inspect: %w (only a manager node can scale a service)", name, err)
	}
	rep := svc.Spec.Mode.Replicated
	if rep == nil {
		return 0, fmt.Errorf("swarm service %s is not a replicated service: it cannot be scaled to 0", name)
	}
	if v, ok := svc.Spec.Labels[appplan.LabelScaledFrom]; ok {
		return 0, fmt.Errorf("swarm service %s carries %s=%s: another drydock scaled it to 0 and has not scaled it back; "+
			"if none runs, scale it with `docker service scale %s=%s` and remove the label", name, appplan.LabelScaledFrom, v, name, v)
	}
	if rep.Replicas == nil || *rep.Replicas == 0 {
		return 0, nil
	}
	n := *rep.Replicas
	if err := record(n); err != nil {
		return 0, err
	}
	spec := svc.Spec
	spec.Labels = maps.Clone(spec.Labels)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	spec.Labels[appplan.LabelScaledFrom] = fmt.Sprint(n)
	zero := uint64(0)
	spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &zero}
	m.log.Info("scaling Swarm service to 0", "service", name, "replicas", n)
	// The version makes this a compare-and-swap: if anyone changed the
	// service since the inspect (another node's drydock), it fails.
	if _, err := m.ctr.ServiceUpdate(ctx, id, svc.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
		err = fmt.Errorf("swarm service %s: scale to 0: %w", name, err)
		if updateRefused(err) {
			return 0, err // not applied: nothing to scale back
		}
		return n, err // maybe applied: the restart looks for the marker
	}
	return n, m.waitTasks(ctx, id, name, 0)
}

// scaleUp scales the service id back to n replicas, unless someone scaled
// it meanwhile (no drydock marker and a count other than 0), and waits
// until n of its tasks run, healthy where they have a healthcheck.
func (m *Manager) scaleUp(ctx context.Context, id, name string, n uint64) error {
	for attempt := 0; ; attempt++ {
		svc, _, err := m.ctr.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
		if err != nil {
			return fmt.Errorf("swarm service %s: inspect to scale back to %d: %w", name, n, err)
		}
		rep := svc.Spec.Mode.Replicated
		_, marked := svc.Spec.Labels[appplan.LabelScaledFrom]
		if rep == nil || (!marked && rep.Replicas != nil && *rep.Replicas != 0) {
			m.log.Warn("Swarm service was changed since drydock scaled it to 0; leaving it as it is", "service", name)
			return nil
		}
		spec := svc.Spec
		spec.Labels = maps.Clone(spec.Labels)
		delete(spec.Labels, appplan.LabelScaledFrom)
		spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &n}
		m.log.Info("scaling Swarm service back", "service", name, "replicas", n)
		_, err = m.ctr.ServiceUpdate(ctx, id, svc.Version, spec, swarm.ServiceUpdateOptions{})
		if err == nil {
			break
		}
		// The service changed between inspect and update; read it again.
		if attempt >= 4 || !outOfSequence(err) {
			return fmt.Errorf("swarm service %s: scale back to %d: %w", name, n, err)
		}
	}
	return m.waitTasks(ctx, id, name, n)
}

// waitTasks waits until exactly want tasks of the service are running
// (and healthy, for those with a healthcheck whose container is on this
// node) and no other task is alive, polling until ctx ends.
func (m *Manager) waitTasks(ctx context.Context, id, name string, want uint64) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	status := ""
	for {
		ok, st, err := m.tasksSettled(ctx, id, want)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			st = err.Error()
		}
		status = st
		select {
		case <-ctx.Done():
			return fmt.Errorf("swarm service %s: waiting for %d running tasks (%s): %w", name, want, status, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// tasksSettled reports whether the service has exactly want running tasks
// (healthy if checked) and no task on its way up or down, and what it saw.
func (m *Manager) tasksSettled(ctx context.Context, id string, want uint64) (bool, string, error) {
	f := swarmFilter("service", id)
	tasks, err := m.ctr.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return false, "", fmt.Errorf("list tasks: %w", err)
	}
	var running, other uint64
	for _, t := range tasks {
		switch {
		case t.Status.State == swarm.TaskStateRunning && t.DesiredState == swarm.TaskStateRunning:
			running++
			if cs := t.Status.ContainerStatus; cs != nil && cs.ContainerID != "" {
				ins, err := m.ctr.ContainerInspect(ctx, cs.ContainerID)
				if err == nil && ins.State != nil && ins.State.Health != nil && ins.State.Health.Status != container.Healthy {
					return false, fmt.Sprintf("task container %s is %s", shortID(cs.ContainerID), ins.State.Health.Status), nil
				}
			}
		case slices.Contains(liveTaskStates, t.Status.State):
			other++
		}
	}
	// The task list lags behind the containers by a moment: check that
	// no container of the service still runs here once none should.
	if want == 0 && running == 0 && other == 0 {
		cs, err := m.ctr.ContainerList(ctx, container.ListOptions{Filters: labelFilter(appplan.SwarmServiceID, id)})
		if err != nil {
			return false, "", fmt.Errorf("list containers: %w", err)
		}
		if len(cs) > 0 {
			return false, fmt.Sprintf("%d containers still run", len(cs)), nil
		}
	}
	return running == want && other == 0, fmt.Sprintf("%d running, %d starting or stopping", running, other), nil
}

// outOfSequence tells whether a service update failed because the
// service changed since the version it was based on.
func outOfSequence(err error) bool { return strings.Contains(err.Error(), "out of sequence") }

// updateRefused tells whether the manager certainly did not apply a
// service update: it answered with a refusal. A lost connection or a
// timeout leaves it unknown.
func updateRefused(err error) bool {
	return outOfSequence(err) || cerrdefs.IsInvalidArgument(err) || cerrdefs.IsNotFound(err) ||
		cerrdefs.IsConflict(err) || cerrdefs.IsFailedPrecondition(err) || cerrdefs.IsPermissionDenied(err)
}

func swarmFilter(key, value string) filters.Args { return filters.NewArgs(filters.Arg(key, value)) }

func labelFilter(key, value string) filters.Args {
	return filters.NewArgs(filters.Arg("label", key+"="+value))
}
