package volume

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// pauseOne freezes one container (drydock.stop=pause): its processes stay
// where they are, its files as they were at the freeze. The journal
// records the pause before the request, so that a killed drydock's
// successor thaws it.
func (s *session) pauseOne(ctx context.Context, mb *member) error {
	ref := mb.ref
	at := time.Now()
	if err := s.m.journalPausing(s.app.Name, ref.ID, at); err != nil {
		return fmt.Errorf("pause container %s: %w", ref.Name, err)
	}
	// The app runs while the journal is written: the freeze begins with
	// the request.
	s.began(time.Now(), true)
	s.m.log.Info("pausing container", "app", s.app.Name, "container", ref.Name)
	if err := s.m.ctr.ContainerPause(ctx, ref.ID); err != nil {
		// Docker may have paused it all the same: the thaw looks.
		return fmt.Errorf("pause container %s: %w", ref.Name, err)
	}
	s.markStopped(mb, nil)
	return nil
}

// thawRef unpauses the container ref names, or starts it if it no longer
// runs (someone stopped it meanwhile; it ran when drydock paused it). It
// reports whether it changed anything.
func (m *Manager) thawRef(ctx context.Context, ref appplan.ContainerRef) (bool, error) {
	id, ins, err := m.resolveInspect(ctx, ref)
	if err != nil {
		return false, err
	}
	switch {
	case ins.State != nil && ins.State.Paused:
		m.log.Info("unpausing container", "container", ref.Name)
		if err := m.ctr.ContainerUnpause(ctx, id); err != nil {
			return false, fmt.Errorf("unpause container %s: %w", ref.Name, err)
		}
		return true, nil
	case ins.State == nil || !ins.State.Running:
		m.log.Info("starting container that was paused and is stopped now", "container", ref.Name)
		if err := m.ctr.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			return false, fmt.Errorf("start container %s: %w", ref.Name, err)
		}
		return true, nil
	}
	return false, nil
}
