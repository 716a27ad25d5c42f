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
)

// Labels Docker sets on the containers of Swarm tasks.
const (
	SwarmServiceID   = "com.docker.swarm.service.id"
	SwarmServiceName = "com.docker.swarm.service.name"
	SwarmTaskID      = "com.docker.swarm.task.id"
)

// Service is a Swarm service that has running tasks on this node.
type Service struct {
	ID   string
	Name string
	// Global is true for a service that runs one task per node: Swarm
	// cannot scale it to 0, so drydock never stops its tasks.
	Global bool
	// Mode is "replicated", "global", "replicated-job" or "global-job".
	Mode     string
	Replicas uint64 // desired replicas of a replicated service
	// Labels are the service's own (docker service create --label), not
	// its containers' (--container-label).
	Labels map[string]string
	// Err is why the service could not be inspected: on a node that is
	// not a Swarm manager, for instance. drydock cannot scale it then.
	Err error
}

// scalable tells whether drydock can scale s to 0 and back.
func (s *Service) scalable() bool { return s.Err == nil && s.Mode == "replicated" }

// discoverServices inspects the Swarm services the containers are tasks
// of. A failure (this node is no manager, the service was removed) is kept
// on the Service: its tasks then cannot be scaled, which the plan reports.
func (m *Manager) discoverServices(ctx context.Context, cs []container.InspectResponse) map[string]*Service {
	out := map[string]*Service{}
	for _, ins := range cs {
		if ins.Config == nil {
			continue
		}
		id := ins.Config.Labels[SwarmServiceID]
		if id == "" || out[id] != nil {
			continue
		}
		svc := &Service{ID: id, Name: ins.Config.Labels[SwarmServiceName]}
		out[id] = svc
		s, _, err := m.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
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

// mergeLabels combines a task's labels with its service's. drydock labels
// may sit on either; one set on both with different values is an error
// (neither wins: which one the user meant cannot be known). drydock's own
// scaled-from marker is not a setting and is left out.
func mergeLabels(svc *Service, own map[string]string) (map[string]string, error) {
	merged := maps.Clone(own)
	if merged == nil {
		merged = map[string]string{}
	}
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if k == LabelScaledFrom || !strings.HasPrefix(strings.ToLower(k), "drydock.") {
			continue
		}
		v := svc.Labels[k]
		if have, ok := merged[k]; ok && have != v {
			errs = append(errs, fmt.Sprintf("label %s is %q on Swarm service %s and %q on its container: set it in one place", k, Clip(v), svc.Name, Clip(have)))
			continue
		}
		merged[k] = v
	}
	if len(errs) > 0 {
		return merged, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return merged, nil
}

// healthBudget is how long a container may fail its healthcheck before
// Docker calls it unhealthy: interval x retries (Docker's defaults 30s
// and 3 when unset).
func healthBudget(h *container.HealthConfig) time.Duration {
	interval, retries := h.Interval, h.Retries
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if retries <= 0 {
		retries = 3
	}
	return interval * time.Duration(retries)
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
	svc, _, err := m.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("swarm service %s: inspect: %w (only a manager node can scale a service)", name, err)
	}
	rep := svc.Spec.Mode.Replicated
	if rep == nil {
		return 0, fmt.Errorf("swarm service %s is not a replicated service: it cannot be scaled to 0", name)
	}
	if v, ok := svc.Spec.Labels[LabelScaledFrom]; ok {
		return 0, fmt.Errorf("swarm service %s carries %s=%s: another drydock scaled it to 0 and has not scaled it back; "+
			"if none runs, scale it with `docker service scale %s=%s` and remove the label", name, LabelScaledFrom, v, name, v)
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
	spec.Labels[LabelScaledFrom] = fmt.Sprint(n)
	zero := uint64(0)
	spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &zero}
	m.log.Info("scaling Swarm service to 0", "service", name, "replicas", n)
	// The version makes this a compare-and-swap: if anyone changed the
	// service since the inspect (another node's drydock), it fails.
	if _, err := m.api.ServiceUpdate(ctx, id, svc.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
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
		svc, _, err := m.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
		if err != nil {
			return fmt.Errorf("swarm service %s: inspect to scale back to %d: %w", name, n, err)
		}
		rep := svc.Spec.Mode.Replicated
		_, marked := svc.Spec.Labels[LabelScaledFrom]
		if rep == nil || (!marked && rep.Replicas != nil && *rep.Replicas != 0) {
			m.log.Warn("Swarm service was changed since drydock scaled it to 0; leaving it as it is", "service", name)
			return nil
		}
		spec := svc.Spec
		spec.Labels = maps.Clone(spec.Labels)
		delete(spec.Labels, LabelScaledFrom)
		spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &n}
		m.log.Info("scaling Swarm service back", "service", name, "replicas", n)
		_, err = m.api.ServiceUpdate(ctx, id, svc.Version, spec, swarm.ServiceUpdateOptions{})
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
	tasks, err := m.api.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return false, "", fmt.Errorf("list tasks: %w", err)
	}
	var running, other uint64
	for _, t := range tasks {
		switch {
		case t.Status.State == swarm.TaskStateRunning && t.DesiredState == swarm.TaskStateRunning:
			running++
			if cs := t.Status.ContainerStatus; cs != nil && cs.ContainerID != "" {
				ins, err := m.api.ContainerInspect(ctx, cs.ContainerID)
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
		cs, err := m.api.ContainerList(ctx, container.ListOptions{Filters: labelFilter(SwarmServiceID, id)})
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
