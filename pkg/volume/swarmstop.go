package volume

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// scaleOp is the scaling of one Swarm service within a session: its tasks
// are visited one by one in dependency order, the first scales the
// service, the others find it done.
type scaleOp struct {
	id, name string
	mu       sync.Mutex
	down     bool   // scale to 0 was attempted
	downErr  error  // its outcome
	replicas uint64 // to scale back to; 0 when there is nothing to undo
	up       bool   // scaled back
}

// addScale adds the task ref to the session, under the plan's container
// id (the graph's node), to be scaled with its service.
func (s *session) addScale(id string, ref appplan.ContainerRef) {
	s.addMember(id, ref, appplan.ActionScale)
	if s.scales[ref.SwarmService] == nil {
		s.scales[ref.SwarmService] = &scaleOp{id: ref.SwarmService, name: ref.SwarmServiceName}
	}
}

// currentTask returns the task to scale for the planned task ref, read
// again now, right before the stop: ref while it runs, else a task of the
// same service running here that no other planned task took (Swarm
// replaced ref since the plan: an update, a rollback, a restarted task).
// With none running, ref: its service is scaled all the same, since a
// replacement may be on its way up and would be backed up live.
func (m *Manager) currentTask(ctx context.Context, ref appplan.ContainerRef, taken map[string]bool) (appplan.ContainerRef, error) {
	ins, err := m.ctr.ContainerInspect(ctx, ref.ID)
	if err == nil && ins.State != nil && ins.State.Running {
		return ref, nil
	}
	if err != nil && !isNotFound(err) {
		return ref, fmt.Errorf("inspect container %s: %w", ref.Name, err)
	}
	tasks, err := m.runningTasks(ctx, ref)
	if err != nil {
		return ref, err
	}
	for _, t := range tasks {
		if taken[t.ID] {
			continue
		}
		taken[t.ID] = true
		m.log.Info("Swarm task was replaced since the plan: scaling its service", "service", ref.SwarmServiceName,
			"planned", ref.Name, "task", t.Name, "id", shortID(t.ID))
		cur := ref
		cur.ID, cur.Name = t.ID, t.Name
		return cur, nil
	}
	m.log.Warn("no task of the Swarm service runs here now: scaling it all the same", "service", ref.SwarmServiceName, "planned", ref.Name)
	return ref, nil
}

// scaleDownOne scales the service of the task mb to 0, once per service,
// and waits until its tasks are gone.
func (s *session) scaleDownOne(ctx context.Context, mb *member) error {
	ref := mb.ref
	op := s.scales[ref.SwarmService]
	op.mu.Lock()
	if !op.down {
		op.down = true
		s.began(time.Now(), false)
		op.replicas, op.downErr = s.m.scaleDown(ctx, op.id, op.name, func(n uint64) error {
			return s.m.journalScaling(s.app.Name, op.id, n)
		})
	}
	err := op.downErr
	op.mu.Unlock()
	if err != nil {
		return err
	}
	// The task's container stays, stopped: it tells whether Docker had to
	// kill it at its stop grace period.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var kill *Kill
	if ins, err := s.m.ctr.ContainerInspect(ictx, ref.ID); err == nil {
		kill = killOf(ref, ins)
	}
	s.markStopped(mb, kill)
	return nil
}

// scaleUpOne scales the service of the task mb back, once per service
// (again after a failure), and waits until its tasks run.
func (s *session) scaleUpOne(ctx context.Context, mb *member) error {
	op := s.scales[mb.ref.SwarmService]
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.up || op.replicas == 0 {
		return nil
	}
	err := s.m.scaleUp(ctx, op.id, op.name, op.replicas)
	s.ended(false)
	if err != nil {
		return err
	}
	op.up = true
	return nil
}

// scaled returns the services this session scaled to 0.
func (s *session) scaled() []ScaledService {
	// s.scales is only written before the first scale; op.mu is taken
	// before s.mu elsewhere, never after.
	var out []ScaledService
	for _, id := range slices.Sorted(maps.Keys(s.scales)) {
		op := s.scales[id]
		op.mu.Lock()
		if op.down && op.replicas > 0 {
			out = append(out, ScaledService{ID: op.id, Name: op.name, Replicas: op.replicas})
		}
		op.mu.Unlock()
	}
	return out
}
