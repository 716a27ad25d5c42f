package volume

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// fakeEngine is a Docker engine in memory, as far as the stop/start
// session asks one (containerAPI): containers that run, stop, start and
// pause, and faults injected by container name. It shows what a real
// engine cannot be made to do on cue: refuse a stop, be recreated between
// the plan and the stop, kill at the stop timeout, carry a stop through
// after drydock gave up on it, fail a start.
//
// The same paths run against a real Docker in TestDockerChainComposeLinksVolumesFrom,
// TestDockerFailingFinalPassRestarts, TestDockerCancelDuringFinalPass,
// TestDockerRecreatedContainerIsFoundAgain, TestDockerStoppedContainerStaysStopped
// and TestDockerKilledThenRecover (docker_test.go), TestDockerKill9ThenRecover
// (kill_test.go), TestDockerPause (pause_test.go), and cmd/drydock's
// TestAppDownSIGTERMWhileStopping and TestAppDownKillIsAWarning.
type fakeEngine struct {
	mu     sync.Mutex
	byID   map[string]*fakeContainer
	nextID int
	// Faults, by container name.
	refuseStop  map[string]bool // ContainerStop fails; it keeps running
	killOnStop  map[string]bool // it ignores its stop signal: killed at its timeout (exit 137)
	hangStop    map[string]bool // ContainerStop blocks until its ctx ends; the stop completes stopLag later
	refuseStart map[string]bool // ContainerStart fails
	stopLag     time.Duration
	carrying    sync.WaitGroup // stops carried through after the client gave up
	// stopping is told the name of each container whose stop begins.
	stopping func(name string)
	calls    []string
}

type fakeContainer struct {
	id, name string
	labels   map[string]string
	running  bool
	paused   bool
	exitCode int
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{byID: map[string]*fakeContainer{}, refuseStop: map[string]bool{}, killOnStop: map[string]bool{},
		hangStop: map[string]bool{}, refuseStart: map[string]bool{}, stopLag: 200 * time.Millisecond}
}

// run creates a running container.
func (f *fakeEngine) run(name string, labels map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("%s-%04d%s", name, f.nextID, strings.Repeat("0", 12))
	f.byID[id] = &fakeContainer{id: id, name: name, labels: labels, running: true}
	return id
}

// recreate removes name's container and runs a new one with its name and
// labels, as docker compose up does when the configuration changed.
func (f *fakeEngine) recreate(name string) {
	f.mu.Lock()
	c := f.find(name)
	delete(f.byID, c.id)
	f.mu.Unlock()
	f.run(name, c.labels)
}

func (f *fakeEngine) find(name string) *fakeContainer {
	for _, c := range f.byID {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (f *fakeEngine) get(id string) (*fakeContainer, error) {
	if c, ok := f.byID[id]; ok {
		return c, nil
	}
	return nil, cerrdefs.ErrNotFound.WithMessage("No such container: " + id)
}

// inspect is what Docker reports of c: its mount of volume "data", a
// healthcheck-free config with the default stop signal and a 1s stop
// timeout.
func (f *fakeEngine) inspect(c *fakeContainer) container.InspectResponse {
	timeout := 1
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: c.id, Name: "/" + c.name,
			State:      &container.State{Running: c.running, Paused: c.paused, ExitCode: c.exitCode},
			HostConfig: &container.HostConfig{}},
		Config: &container.Config{Labels: c.labels, StopTimeout: &timeout},
		Mounts: []container.MountPoint{{Type: mount.TypeVolume, Name: "data", Destination: "/data", RW: c.labels["test.mount"] == "rw"}},
	}
}

func (f *fakeEngine) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(id)
	if err != nil {
		return container.InspectResponse{}, err
	}
	return f.inspect(c), nil
}

func (f *fakeEngine) ContainerList(_ context.Context, opts container.ListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
	for _, id := range slices.Sorted(maps.Keys(f.byID)) {
		c := f.byID[id]
		if !opts.All && !c.running {
			continue
		}
		match := true
		for _, l := range opts.Filters.Get("label") {
			k, v, _ := strings.Cut(l, "=")
			match = match && c.labels[k] == v
		}
		for _, n := range opts.Filters.Get("name") {
			match = match && strings.Contains(c.name, n)
		}
		if match {
			state := "exited"
			if c.running {
				state = "running"
			}
			out = append(out, container.Summary{ID: c.id, Names: []string{"/" + c.name}, Labels: c.labels, State: state})
		}
	}
	return out, nil
}

func (f *fakeEngine) ContainerStop(ctx context.Context, id string, _ container.StopOptions) error {
	f.mu.Lock()
	c, err := f.get(id)
	if err != nil {
		f.mu.Unlock()
		return err
	}
	f.calls = append(f.calls, "stop "+c.name)
	stopping := f.stopping
	f.mu.Unlock()
	if stopping != nil {
		stopping(c.name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.refuseStop[c.name]:
		return errors.New("Error response from daemon: cannot stop container: permission denied")
	case f.hangStop[c.name]:
		f.mu.Unlock()
		<-ctx.Done()
		// The engine carries the stop through, as Docker does when the
		// client hangs up.
		f.carrying.Add(1)
		time.AfterFunc(f.stopLag, func() {
			defer f.carrying.Done()
			f.mu.Lock()
			defer f.mu.Unlock()
			c.running, c.exitCode = false, 0
		})
		f.mu.Lock()
		return ctx.Err()
	case f.killOnStop[c.name]:
		c.running, c.exitCode = false, exitKilled
		return nil
	}
	c.running, c.exitCode = false, 0
	return nil
}

func (f *fakeEngine) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(id)
	if err != nil {
		return err
	}
	f.calls = append(f.calls, "start "+c.name)
	if f.refuseStart[c.name] {
		return errors.New("Error response from daemon: driver failed programming external connectivity")
	}
	c.running, c.exitCode = true, 0
	return nil
}

func (f *fakeEngine) ContainerPause(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(id)
	if err != nil {
		return err
	}
	f.calls = append(f.calls, "pause "+c.name)
	c.paused = true
	return nil
}

func (f *fakeEngine) ContainerUnpause(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(id)
	if err != nil {
		return err
	}
	f.calls = append(f.calls, "unpause "+c.name)
	c.paused = false
	return nil
}

// The session's Swarm calls: no service exists on this engine.
var errNoSwarm = errors.New("Error response from daemon: This node is not a swarm manager")

func (f *fakeEngine) ServiceInspectWithRaw(context.Context, string, swarm.ServiceInspectOptions) (swarm.Service, []byte, error) {
	return swarm.Service{}, nil, errNoSwarm
}

func (f *fakeEngine) ServiceUpdate(context.Context, string, swarm.Version, swarm.ServiceSpec, swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error) {
	return swarm.ServiceUpdateResponse{}, errNoSwarm
}

func (f *fakeEngine) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	return nil, errNoSwarm
}

// state returns "running", "paused" or "stopped" for each live container
// by name.
func (f *fakeEngine) state() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, c := range f.byID {
		switch {
		case c.paused:
			out[c.name] = "paused"
		case c.running:
			out[c.name] = "running"
		default:
			out[c.name] = "stopped"
		}
	}
	return out
}

// plan builds the plan of the engine's containers as Discover would:
// from their inspect, through appplan.
func (f *fakeEngine) plan(t *testing.T) (*appplan.Plan, *appplan.App) {
	t.Helper()
	f.mu.Lock()
	inv := &appplan.Inventory{Volumes: []appplan.VolumeInfo{{Name: "data", Settings: appplan.Settings{Backup: appplan.True}}}}
	for _, id := range slices.Sorted(maps.Keys(f.byID)) {
		inv.Containers = append(inv.Containers, appplan.ContainerFromInspect(f.inspect(f.byID[id]), nil))
	}
	f.mu.Unlock()
	p := appplan.BuildPlan(inv, appplan.PlanOptions{})
	if len(p.Apps) != 1 || p.Apps[0].Err != nil {
		t.Fatalf("plan:\n%s", planview.String(p))
	}
	return p, p.Apps[0]
}

// TestSessionFaults runs one stop/start session per row against a fake
// engine: db (mounting data read-write), web (compose service shop/web,
// mounting it too, depending on db) and cache (drydock.stop=pause,
// depending on web): paused, stopped, stopped in that order, one at a
// time, and started the other way round. Each row injects a fault and asserts the outcome: the errors,
// what the journal holds once stopping ended and once the restart ended,
// the kills reported, and every container running (not paused) at the end.
func TestSessionFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       func(f *fakeEngine, cancel context.CancelFunc)
		afterStop   func(f *fakeEngine) // between stop and restart: the final pass
		wantStopErr string              // "" for none
		wantJournal []string            // containers journalled after stop
		wantRestart string              // substring of the first restart's error; "" for none
		wantKills   []string
		wantStopped []string             // stoppedNames
		wantCalls   func([]string) error // extra check on the engine calls up to the first restart's end
	}{{
		name:        "all well",
		wantJournal: []string{"cache", "db", "web"},
		wantStopped: []string{"web", "db", "cache"},
	}, {
		name:        "stop refused",
		fault:       func(f *fakeEngine, _ context.CancelFunc) { f.refuseStop["db"] = true },
		wantStopErr: "stop container db: Error response from daemon: cannot stop container",
		wantJournal: []string{"cache", "db", "web"},
		wantStopped: []string{"web", "cache"},
		wantCalls:   notCalled("start db"), // it still ran: nothing to start
	}, {
		name: "recreated between plan and stop",
		// The planned ID is gone: the replacement was never planned,
		// and runs through the backup (it is backed up live).
		fault:       func(f *fakeEngine, _ context.CancelFunc) { f.recreate("web") },
		wantJournal: []string{"cache", "db"},
		wantStopped: []string{"db", "cache"},
		wantCalls:   notCalled("stop web"),
	}, {
		name:        "recreated while stopped",
		afterStop:   func(f *fakeEngine) { f.recreate("web"); f.stopFresh("web") },
		wantJournal: []string{"cache", "db", "web"},
		wantStopped: []string{"web", "db", "cache"},
	}, {
		name:        "killed at its stop timeout",
		fault:       func(f *fakeEngine, _ context.CancelFunc) { f.killOnStop["db"] = true },
		wantJournal: []string{"cache", "db", "web"},
		wantKills:   []string{"db"},
		wantStopped: []string{"web", "db", "cache"},
	}, {
		name: "context cancelled mid-stop",
		fault: func(f *fakeEngine, cancel context.CancelFunc) {
			f.hangStop["web"] = true
			f.stopping = func(name string) {
				if name == "web" {
					cancel()
				}
			}
		},
		wantStopErr: "stop container web: context canceled",
		wantJournal: []string{"cache", "db", "web"},
		// db, after web in stop order, is never stopped; web's stop,
		// carried through by the engine, is waited for before its start.
		wantStopped: []string{"web", "cache"},
		wantCalls:   inOrder("stop web", "start web"),
	}, {
		name:        "start fails",
		fault:       func(f *fakeEngine, _ context.CancelFunc) { f.refuseStart["db"] = true },
		wantJournal: []string{"cache", "db", "web"},
		wantRestart: "start container db: Error response from daemon: driver failed",
		wantStopped: []string{"web", "db", "cache"},
		// Every container is tried, whatever fails: web too, in the
		// same restart.
		wantCalls: inOrder("start db", "start web"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine()
			f.run("db", map[string]string{"test.mount": "rw"})
			f.run("web", map[string]string{"test.mount": "rw", appplan.LabelDependsOn: "db",
				appplan.ComposeProject: "shop", appplan.ComposeService: "web", appplan.ComposeContainerNumber: "1"})
			f.run("cache", map[string]string{appplan.LabelStop: appplan.StopPause, appplan.LabelDependsOn: "web"})
			m := newManager(struct {
				containerAPI
				hostAPI // nil: the session must not need it
			}{containerAPI: f}, Options{StateDir: t.TempDir(), RestartTimeout: 10 * time.Second})
			p, app := f.plan(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.fault != nil {
				tt.fault(f, cancel)
			}
			s := newSession(m, p, app)
			err := s.stop(ctx)
			if tt.wantStopErr == "" && err != nil || tt.wantStopErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantStopErr)) {
				t.Errorf("stop: %v, want %q", err, tt.wantStopErr)
			}
			if got := journalNames(t, m, app.Name); !slices.Equal(got, tt.wantJournal) {
				t.Errorf("journal after stop %v, want %v", got, tt.wantJournal)
			}
			if tt.afterStop != nil {
				tt.afterStop(f)
			}
			err = s.restart(ctx)
			f.mu.Lock()
			calls := slices.Clone(f.calls) // up to the end of the first restart
			f.mu.Unlock()
			if tt.wantRestart == "" && err != nil || tt.wantRestart != "" && (err == nil || !strings.Contains(err.Error(), tt.wantRestart)) {
				t.Errorf("restart: %v, want %q", err, tt.wantRestart)
			}
			if tt.wantRestart != "" {
				// The journal stays until all run; a later undo retries.
				if got := journalNames(t, m, app.Name); !slices.Equal(got, tt.wantJournal) {
					t.Errorf("journal after a failed restart %v, want %v", got, tt.wantJournal)
				}
				clear(f.refuseStart)
				if err := s.restart(ctx); err != nil {
					t.Errorf("second restart: %v", err)
				}
			}
			if got := journalNames(t, m, app.Name); len(got) != 0 {
				t.Errorf("journal after restart %v, want it cleared", got)
			}
			f.carrying.Wait() // a stop still under way would end after the check
			for name, st := range f.state() {
				if st != "running" {
					t.Errorf("%s %s at the end, want running", name, st)
				}
			}
			var kills []string
			for _, k := range s.kills() {
				kills = append(kills, k.Container.Name)
			}
			if !slices.Equal(kills, tt.wantKills) {
				t.Errorf("kills %v, want %v", kills, tt.wantKills)
			}
			if got := s.stoppedNames(); !slices.Equal(got, tt.wantStopped) {
				t.Errorf("stopped %v, want %v", got, tt.wantStopped)
			}
			if tt.wantCalls != nil {
				if err := tt.wantCalls(calls); err != nil {
					t.Errorf("calls %v: %v", calls, err)
				}
			}
		})
	}
}

// stopFresh leaves name's container created, not started, as compose
// leaves a recreated container of a stopped project.
func (f *fakeEngine) stopFresh(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.find(name).running = false
}

// journalNames lists the containers the journal holds for app, sorted.
func journalNames(t *testing.T, m *Manager, app string) []string {
	t.Helper()
	pending, err := m.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range pending[app] {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

func notCalled(call string) func([]string) error {
	return func(calls []string) error {
		if slices.Contains(calls, call) {
			return fmt.Errorf("%q was called", call)
		}
		return nil
	}
}

func inOrder(first, then string) func([]string) error {
	return func(calls []string) error {
		i, j := slices.Index(calls, first), slices.Index(calls, then)
		if i < 0 || j < 0 || i > j {
			return fmt.Errorf("want %q, then %q", first, then)
		}
		return nil
	}
}
