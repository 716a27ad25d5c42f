package volume

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// session is one stop/start cycle of one app.
type session struct {
	m   *Manager
	g   *appplan.Graph
	app *appplan.App
	mu  sync.Mutex
	// members are the containers running at stop time, by the plan's
	// container ID (the graph's node): stop and restart these. Written
	// before the first stop only; their fields under mu.
	members map[string]*member
	// pending: restart has members to start; false again once it has
	// started them all, so that a second undo is a no-op.
	pending bool
	killed  []Kill         // stopped by Docker's SIGKILL at their stop timeout
	looks   sync.WaitGroup // inspects after stops, for killed
	first   time.Time      // first stop, pause or scale call
	last    time.Time      // last start, unpause or scale done
	// frozen spans the first pause call to the last unpause done.
	frozenFirst, frozenLast time.Time
	scales                  map[string]*scaleOp // by Swarm service ID
}

// member is what a session knows of one container it stops, pauses or
// scales.
type member struct {
	id     string               // the plan's container ID
	ref    appplan.ContainerRef // as found at stop time: a Swarm task may have been replaced
	action appplan.Action
	// stopped: stopped, paused or scaled to 0 by this session.
	stopped bool
	// askedAt is when drydock asked for a stop it gave up on (its context
	// ended during the request); zero otherwise. Docker carries such a
	// stop through, so restart waits for it before it starts the container.
	askedAt time.Time
}

func newSession(m *Manager, p *appplan.Plan, app *appplan.App) *session {
	return &session{m: m, g: p.Graph(), app: app, members: map[string]*member{}, scales: map[string]*scaleOp{}}
}

// Undo starts again what a Stop stopped. It is safe to call more than once.
type Undo func(ctx context.Context) error

// Stop stops the running containers of app in stop order (consumers before
// providers, independents in parallel), journaling them before the first
// stop. It returns undo, which starts them again in start order and clears
// the journal; defer it at once, also when Stop returns an error, since a
// partial stop leaves containers to start.
func (m *Manager) Stop(ctx context.Context, p *appplan.Plan, app *appplan.App) (undo Undo, err error) {
	s := newSession(m, p, app)
	return s.restart, s.stop(ctx)
}

func (s *session) stop(ctx context.Context) error {
	if s.app.Err != nil {
		return s.app.Err
	}
	if s.m.opts.StateDir == "" {
		return ErrNoStateDir
	}
	refs, err := s.addMembers(ctx)
	if err != nil {
		return fmt.Errorf("app %s: %w", s.app.Name, err)
	}
	if len(refs) == 0 {
		return nil
	}
	if err := s.m.journalAdd(s.app.Name, refs); err != nil {
		return fmt.Errorf("app %s: %w", s.app.Name, err)
	}
	return s.g.Visit(ctx, s.app.StopIDs(), appplan.StopOrder, appplan.VisitOptions{Parallel: s.m.opts.Parallel}, func(ctx context.Context, id string) error {
		mb, ok := s.members[id]
		if !ok {
			return nil
		}
		switch mb.action {
		case appplan.ActionPause:
			return s.pauseOne(ctx, mb)
		case appplan.ActionScale:
			return s.scaleDownOne(ctx, mb)
		}
		return s.stopOne(ctx, mb)
	})
}

// addMembers reads the app's containers again, right before the stop, and
// adds those to act on: the running ones (not paused already, for a
// pause), and for each planned Swarm task the task running now. It
// returns their refs, for the journal.
func (s *session) addMembers(ctx context.Context) ([]appplan.ContainerRef, error) {
	var refs []appplan.ContainerRef
	taken := map[string]bool{} // tasks that replaced a planned one
	for _, d := range s.app.Stop {
		if d.Action == appplan.ActionScale {
			ref, err := s.m.currentTask(ctx, d.Container, taken)
			if err != nil {
				return refs, err
			}
			s.addScale(d.Container.ID, ref)
			refs = append(refs, ref)
			continue
		}
		ins, err := s.m.ctr.ContainerInspect(ctx, d.Container.ID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return refs, fmt.Errorf("inspect container %s: %w", d.Container.Name, err)
		}
		if ins.State == nil || !ins.State.Running {
			continue
		}
		action := d.Action
		if action == "" {
			action = appplan.ActionStop
		}
		if action == appplan.ActionPause && ins.State.Paused {
			s.m.log.Warn("container is paused already: left as it is", "app", s.app.Name, "container", d.Container.Name)
			continue
		}
		s.addMember(d.Container.ID, d.Container, action)
		refs = append(refs, d.Container)
	}
	return refs, nil
}

func (s *session) addMember(id string, ref appplan.ContainerRef, action appplan.Action) {
	s.members[id] = &member{id: id, ref: ref, action: action}
	s.pending = true
}

// began notes the time of a stop, pause or scale call.
func (s *session) began(at time.Time, pause bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.IsZero() {
		s.first = at
	}
	if pause && s.frozenFirst.IsZero() {
		s.frozenFirst = at
	}
}

// ended notes the time a start, unpause or scale back ended.
func (s *session) ended(pause bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = time.Now()
	if pause {
		s.frozenLast = s.last
	}
}

// gaveUp notes a stop of mb drydock asked for at the time at and gave up
// on.
func (s *session) gaveUp(mb *member, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb.askedAt = at
}

// markStopped records that mb is stopped, and how.
func (s *session) markStopped(mb *member, kill *Kill) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb.stopped = true
	if kill != nil {
		s.m.log.Warn(kill.String(), "app", s.app.Name)
		s.killed = append(s.killed, *kill)
	}
}

// restart starts every container of the session that is not running, in
// start order, trying all of them whatever fails. It runs on a context the
// caller's cancellation does not reach, bounded by RestartTimeout: this is
// the cleanup that must happen. The journal entry is cleared only when all
// started.
func (s *session) restart(ctx context.Context) error {
	s.mu.Lock()
	pending := s.pending
	s.pending = false // a second call is a no-op
	asked := map[string]time.Time{}
	for id, mb := range s.members {
		if !mb.askedAt.IsZero() {
			asked[id] = mb.askedAt
			mb.askedAt = time.Time{} // waited for once: a retry does not wait again
		}
	}
	s.mu.Unlock()
	s.looks.Wait()
	if !pending {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.m.opts.RestartTimeout)
	defer cancel()
	set := toSet(s.app.StopIDs())
	err := s.g.Visit(ctx, s.app.StopIDs(), appplan.StartOrder, appplan.VisitOptions{Parallel: s.m.opts.Parallel, KeepGoing: true}, func(ctx context.Context, id string) error {
		mb, ok := s.members[id]
		if !ok {
			return nil
		}
		switch mb.action {
		case appplan.ActionPause:
			_, err := s.m.thawRef(ctx, mb.ref)
			s.ended(true)
			return err
		case appplan.ActionScale:
			return s.scaleUpOne(ctx, mb)
		}
		if at, ok := asked[id]; ok {
			if kill, stopped := s.m.awaitStop(ctx, mb.ref, at); stopped {
				s.markStopped(mb, kill)
			}
		}
		// Providers wait until healthy so their consumers find them ready.
		wait := slices.ContainsFunc(s.g.Consumers(id), func(c string) bool { return set[c] })
		_, err := s.m.startRef(ctx, mb.ref, wait)
		s.ended(false)
		return err
	})
	if err == nil {
		err = s.m.journalRemove(s.app.Name)
	}
	if err != nil {
		s.mu.Lock()
		s.pending = true // let a later call retry; the stops it waited for are over
		s.mu.Unlock()
		return fmt.Errorf("restart app %s: %w", s.app.Name, err)
	}
	return nil
}

// stopped returns the containers this session stopped (or paused: the
// action), in stop order.
func (s *session) stopped(action appplan.Action) []appplan.ContainerRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []appplan.ContainerRef
	for _, d := range s.app.Stop {
		if mb := s.members[d.Container.ID]; mb != nil && mb.stopped && mb.action == action {
			out = append(out, d.Container)
		}
	}
	return out
}

// stoppedNames names what the session stopped, froze or scaled to 0, in
// stop order, Swarm services by name.
func (s *session) stoppedNames() []string {
	var out []string
	for _, c := range s.stopped(appplan.ActionStop) {
		out = append(out, c.Name)
	}
	for _, c := range s.stopped(appplan.ActionPause) {
		out = append(out, c.Name)
	}
	for _, sv := range s.scaled() {
		out = append(out, sv.Name)
	}
	return out
}

// frozen is the time from the first pause to the last unpause.
func (s *session) frozen() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozenFirst.IsZero() || s.frozenLast.Before(s.frozenFirst) {
		return 0
	}
	return s.frozenLast.Sub(s.frozenFirst)
}

// kills returns the containers Docker had to kill at their stop timeout.
func (s *session) kills() []Kill {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.killed)
}

// downtime is the time from the first stop to the last start.
func (s *session) downtime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.IsZero() || s.last.Before(s.first) {
		return 0
	}
	return s.last.Sub(s.first)
}
