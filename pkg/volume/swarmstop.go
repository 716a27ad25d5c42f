package volume

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
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

// scaleDownOne scales the service of the task ref to 0, once per service,
// and waits until its tasks are gone.
func (s *session) scaleDownOne(ctx context.Context, ref ContainerRef) error {
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
	if ins, err := s.m.api.ContainerInspect(ictx, ref.ID); err == nil {
		kill = killOf(ref, ins)
	}
	s.stopped1(ref, kill)
	return nil
}

// scaleUpOne scales the service of the task ref back, once per service
// (again after a failure), and waits until its tasks run.
func (s *session) scaleUpOne(ctx context.Context, ref ContainerRef) error {
	op := s.scales[ref.SwarmService]
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
