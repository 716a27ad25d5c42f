package volume

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// ErrGone: a container drydock stopped was removed and no replacement (same
// compose project and service, or same name) exists.
var ErrGone = errors.New("container gone and no replacement found")

// session is one stop/start cycle of one app.
type session struct {
	m    *Manager
	g    *appplan.Graph
	app  *appplan.App
	mu   sync.Mutex
	todo map[string]appplan.ContainerRef // running at stop time: stop and restart these
	done map[string]bool                 // stopped by this session
	// asked holds the stops drydock gave up on (its context ended during
	// the request), by when it asked: Docker carries them through, so
	// restart waits for them before it starts the container.
	asked  map[string]time.Time
	killed []Kill         // stopped by Docker's SIGKILL at their stop timeout
	looks  sync.WaitGroup // inspects after stops, for killed
	first  time.Time      // first stop, pause or scale call
	last   time.Time      // last start, unpause or scale done
	// frozen spans the first pause call to the last unpause done.
	frozenFirst, frozenLast time.Time
	actions                 map[string]appplan.Action // by container ID
	scales                  map[string]*scaleOp       // by Swarm service ID
}

// Undo starts again what a Stop stopped. It is safe to call more than once.
type Undo func(ctx context.Context) error

// Stop stops the running containers of app in stop order (consumers before
// providers, independents in parallel), journaling them before the first
// stop. It returns undo, which starts them again in start order and clears
// the journal; defer it at once, also when Stop returns an error, since a
// partial stop leaves containers to start.
func (m *Manager) Stop(ctx context.Context, p *appplan.Plan, app *appplan.App) (undo Undo, err error) {
	s := &session{m: m, g: p.Graph(), app: app}
	return s.restart, s.stop(ctx)
}

func (s *session) stop(ctx context.Context) error {
	if s.app.Err != nil {
		return s.app.Err
	}
	if s.m.opts.StateDir == "" {
		return ErrNoStateDir
	}
	s.todo = map[string]appplan.ContainerRef{}
	s.done = map[string]bool{}
	s.asked = map[string]time.Time{}
	s.actions = map[string]appplan.Action{}
	s.scales = map[string]*scaleOp{}
	var refs []appplan.ContainerRef
	taken := map[string]bool{} // tasks that replaced a planned one
	for _, d := range s.app.Stop {
		if d.Action == appplan.ActionScale {
			ref, err := s.m.currentTask(ctx, d.Container, taken)
			if err != nil {
				return fmt.Errorf("app %s: %w", s.app.Name, err)
			}
			s.addScale(d.Container.ID, ref)
			refs = append(refs, ref)
			continue
		}
		ins, err := s.m.api.ContainerInspect(ctx, d.Container.ID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("app %s: inspect container %s: %w", s.app.Name, d.Container.Name, err)
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
		s.todo[d.Container.ID] = d.Container
		s.actions[d.Container.ID] = action
		refs = append(refs, d.Container)
	}
	if len(refs) == 0 {
		return nil
	}
	if err := s.m.journalAdd(s.app.Name, refs); err != nil {
		return fmt.Errorf("app %s: %w", s.app.Name, err)
	}
	return s.g.Visit(ctx, s.app.StopIDs(), appplan.StopOrder, appplan.VisitOptions{Parallel: s.m.opts.Parallel}, func(ctx context.Context, id string) error {
		ref, ok := s.todo[id]
		if !ok {
			return nil
		}
		switch s.actions[id] {
		case appplan.ActionPause:
			return s.pauseOne(ctx, ref)
		case appplan.ActionScale:
			return s.scaleDownOne(ctx, ref)
		}
		return s.stopOne(ctx, ref)
	})
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

// stopOne stops one container and keeps the outcome: stopped (and
// whether Docker had to kill it), refused by Docker, or unknown because
// ctx ended during the request, which Docker carries through all the same.
func (s *session) stopOne(ctx context.Context, ref appplan.ContainerRef) error {
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
	err := s.m.api.ContainerStop(ctx, ref.ID, container.StopOptions{})
	if err != nil {
		if ctx.Err() != nil {
			s.mu.Lock()
			s.asked[ref.ID] = at
			s.mu.Unlock()
		}
		return fmt.Errorf("stop container %s: %w", ref.Name, err)
	}
	s.mu.Lock()
	s.done[ref.ID] = true
	s.mu.Unlock()
	// Whether it was killed is worth a look even when ctx ended just now.
	// The look runs beside the next stops and the final pass; restart
	// waits for it, since a start resets the state it reads.
	s.looks.Add(1)
	go func() {
		defer s.looks.Done()
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		var kill *Kill
		if ins, err := s.m.api.ContainerInspect(ictx, ref.ID); err == nil {
			kill = killOf(ref, ins)
		}
		s.stopped1(ref, kill)
	}()
	return nil
}

// stopped1 records that ref is stopped, and how.
func (s *session) stopped1(ref appplan.ContainerRef, kill *Kill) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done[ref.ID] = true
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
	todo, asked := s.todo, s.asked
	s.todo, s.asked = nil, nil // a second call is a no-op
	s.mu.Unlock()
	s.looks.Wait()
	if len(todo) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.m.opts.RestartTimeout)
	defer cancel()
	set := toSet(s.app.StopIDs())
	err := s.g.Visit(ctx, s.app.StopIDs(), appplan.StartOrder, appplan.VisitOptions{Parallel: s.m.opts.Parallel, KeepGoing: true}, func(ctx context.Context, id string) error {
		ref, ok := todo[id]
		if !ok {
			return nil
		}
		switch s.actions[id] {
		case appplan.ActionPause:
			_, err := s.m.thawRef(ctx, ref)
			s.ended(true)
			return err
		case appplan.ActionScale:
			return s.scaleUpOne(ctx, ref)
		}
		if at, ok := asked[id]; ok {
			if kill, stopped := s.m.awaitStop(ctx, ref, at); stopped {
				s.stopped1(ref, kill)
			}
		}
		// Providers wait until healthy so their consumers find them ready.
		wait := slices.ContainsFunc(s.g.Consumers(id), func(c string) bool { return set[c] })
		_, err := s.m.startRef(ctx, ref, wait)
		s.ended(false)
		return err
	})
	if err == nil {
		err = s.m.journalRemove(s.app.Name)
	}
	if err != nil {
		s.mu.Lock()
		s.todo = todo // let a later call retry; the stops it waited for are over
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
		if s.done[d.Container.ID] && s.actions[d.Container.ID] == action {
			out = append(out, d.Container)
		}
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
		if err := m.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
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
		ins, err := m.api.ContainerInspect(ctx, id)
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
	_, err := m.api.ContainerInspect(ctx, ref.ID)
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
		ins, err := m.api.ContainerInspect(ctx, ref.ID)
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
	ins, err := m.api.ContainerInspect(ctx, id)
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
	list, err := m.api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
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
	ins, err := m.api.ContainerInspect(ctx, ref.ID)
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
	list, err := m.api.ContainerList(ctx, container.ListOptions{Filters: labelFilter(appplan.SwarmServiceID, ref.SwarmService)})
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
	ins, err := m.api.ContainerInspect(ctx, id)
	return err == nil && ins.State != nil && ins.State.Running
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
