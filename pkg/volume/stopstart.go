package volume

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// ErrGone: a container drydock stopped was removed and no replacement (same
// compose project and service, or same name) exists.
var ErrGone = errors.New("container gone and no replacement found")

// stopOne stops one container and keeps the outcome: stopped (and
// whether Docker had to kill it), refused by Docker, or unknown because
// ctx ended during the request, which Docker carries through all the same.
func (s *session) stopOne(ctx context.Context, mb *member) error {
	ref := mb.ref
	at := time.Now()
	if err := s.m.journalStopping(s.app.Name, ref.ID, at); err != nil {
		return fmt.Errorf("stop container %s: %w", ref.Name, err)
	}
	// The app runs while the journal is written (fsync): its downtime
	// begins with the request. The journal keeps the time before its
	// write, as before; stopSlack covers the difference.
	s.began(time.Now(), false)
	s.m.log.Info("stopping container", "app", s.app.Name, "container", ref.Name)
	// Nil timeout and signal: Docker uses the container's own StopSignal
	// and StopTimeout.
	err := s.m.ctr.ContainerStop(ctx, ref.ID, container.StopOptions{})
	if err != nil {
		if ctx.Err() != nil {
			s.gaveUp(mb, at)
		}
		return fmt.Errorf("stop container %s: %w", ref.Name, err)
	}
	s.markStopped(mb, nil)
	// Whether it was killed is worth a look even when ctx ended just now.
	// The look runs beside the next stops and the final pass; restart
	// waits for it, since a start resets the state it reads.
	s.looks.Add(1)
	go func() {
		defer s.looks.Done()
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		var kill *Kill
		if ins, err := s.m.ctr.ContainerInspect(ictx, ref.ID); err == nil {
			kill = killOf(ref, ins)
		}
		s.markStopped(mb, kill)
	}()
	return nil
}

// startRef starts the container ref names (or its replacement) unless it
// runs already, and waits until healthy when waitHealthy and it has a
// healthcheck. It reports whether it started something.
func (m *Manager) startRef(ctx context.Context, ref appplan.ContainerRef, waitHealthy bool) (bool, error) {
	// One inspect answers both which container and whether it runs.
	id, ins, err := m.resolveInspect(ctx, ref)
	if err != nil {
		return false, err
	}
	started := false
	if ins.State == nil || !ins.State.Running {
		m.log.Info("starting container", "container", ref.Name, "id", shortID(id))
		if err := m.ctr.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			return false, fmt.Errorf("start container %s: %w", ref.Name, err)
		}
		started = true
	}
	hasCheck := ins.Config != nil && ins.Config.Healthcheck != nil && len(ins.Config.Healthcheck.Test) > 0 && ins.Config.Healthcheck.Test[0] != "NONE"
	if waitHealthy && hasCheck {
		if err := m.waitHealthy(ctx, id, ref.Name); err != nil {
			return started, err
		}
	}
	return started, nil
}

// waitHealthy polls until the container reports healthy, for at most
// HealthTimeout.
func (m *Manager) waitHealthy(ctx context.Context, id, name string) error {
	ctx, cancel := context.WithTimeout(ctx, m.opts.HealthTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	status := "unknown"
	for {
		ins, err := m.ctr.ContainerInspect(ctx, id)
		if err == nil && ins.State != nil {
			if ins.State.Health != nil {
				status = string(ins.State.Health.Status)
				if status == container.Healthy {
					return nil
				}
			}
			if !ins.State.Running {
				return fmt.Errorf("container %s exited while waiting to be healthy (exit code %d)", name, ins.State.ExitCode)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s not healthy after %s (status %s): %w", name, m.opts.HealthTimeout, status, ctx.Err())
		case <-tick.C:
		}
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
