package dockertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/sys/unix"
)

// Swarm makes the engine a single-node Swarm manager for the test. An
// engine in no swarm is initialised (advertising 127.0.0.1) and leaves the
// swarm again in t.Cleanup, after the test's services are removed; an
// engine that is a manager already is used as it is and never left. A
// worker node, or a swarm in another state, fails the test.
//
// Swarm tests of different packages run in parallel processes under
// `go test ./...`: one leaving the swarm would pull it from under another.
// So each holds an exclusive flock on one file for its whole run.
func (e *Env) Swarm() {
	e.t.Helper()
	ctx := context.Background()
	e.lockSwarm()
	info, err := e.Cli.Info(ctx)
	if err != nil {
		e.t.Fatalf("docker info: %v", err)
	}
	switch info.Swarm.LocalNodeState {
	case swarm.LocalNodeStateActive:
		if !info.Swarm.ControlAvailable {
			e.t.Fatal("the engine is a Swarm worker: the Swarm tests need a manager")
		}
		return
	case swarm.LocalNodeStateInactive:
	default:
		e.t.Fatalf("the engine's Swarm state is %q: not touching it", info.Swarm.LocalNodeState)
	}
	if _, err := e.Cli.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		e.t.Fatalf("docker swarm init: %v", err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := e.Cli.SwarmLeave(ctx, true); err != nil {
			e.t.Errorf("docker swarm leave --force: %v", err)
		}
	})
}

// ServiceSpec describes a test Swarm service. Mounts are "volume:/path".
// Services run on the host network (the engine has no other).
type ServiceSpec struct {
	Name            string // base name, made unique
	Labels          map[string]string
	ContainerLabels map[string]string
	Mounts          []string
	Cmd             []string // default: run, writing to the first mount
	Replicas        uint64   // of a replicated service; ignored when Global
	Global          bool
	Health          bool // healthcheck: testapp health
}

// Service creates a Swarm service from the test image (by ID, so that no
// registry is asked) and waits until its tasks run. It is removed in
// t.Cleanup, which waits until its containers are gone.
func (e *Env) Service(s ServiceSpec) string {
	e.t.Helper()
	ctx := context.Background()
	img, err := e.Cli.ImageInspect(ctx, e.Image)
	if err != nil {
		e.t.Fatalf("inspect image %s: %v", e.Image, err)
	}
	cs := &swarm.ContainerSpec{Image: img.ID, Labels: s.ContainerLabels, Args: s.Cmd}
	for i, m := range s.Mounts {
		parts := strings.Split(m, ":")
		cs.Mounts = append(cs.Mounts, mount.Mount{Type: mount.TypeVolume, Source: parts[0], Target: parts[1]})
		if i == 0 && cs.Args == nil {
			cs.Args = []string{"run", "-dir", parts[1], "-interval", "100ms"}
		}
	}
	if cs.Args == nil {
		cs.Args = []string{"run"}
	}
	if s.Health {
		cs.Healthcheck = &container.HealthConfig{Test: []string{"CMD", "/testapp", "health"},
			Interval: 200 * time.Millisecond, Timeout: 5 * time.Second, Retries: 3}
	}
	grace := 5 * time.Second
	cs.StopGracePeriod = &grace
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: e.Name(s.Name), Labels: s.Labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: cs,
			Networks:      []swarm.NetworkAttachmentConfig{{Target: "host"}},
		},
	}
	want := s.Replicas
	if s.Global {
		spec.Mode.Global = &swarm.GlobalService{}
		want = 1 // one node
	} else {
		spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &s.Replicas}
	}
	created, err := e.Cli.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false})
	if err != nil {
		e.t.Fatalf("create service %s: %v", spec.Name, err)
	}
	e.t.Cleanup(func() { e.removeService(created.ID, spec.Name) })
	e.WaitTasks(created.ID, int(want))
	return created.ID
}

// swarmLockFile serialises Swarm tests across test processes.
var swarmLockFile = filepath.Join(os.TempDir(), "drydock-test-swarm.lock")

// lockSwarm waits for the Swarm tests of other processes, then holds the
// lock until the test's cleanup (after the swarm was left).
func (e *Env) lockSwarm() {
	e.t.Helper()
	f, err := os.OpenFile(swarmLockFile, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		e.t.Fatalf("swarm test lock: %v", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		e.t.Fatalf("swarm test lock %s: %v", swarmLockFile, err)
	}
	e.t.Cleanup(func() { f.Close() }) // closing the only descriptor unlocks
}

func (e *Env) removeService(id, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Cli.ServiceRemove(ctx, id); err != nil && !cerrdefs.IsNotFound(err) {
		e.t.Errorf("remove service %s: %v", name, err)
		return
	}
	// Its containers go asynchronously; its volumes are removed after.
	for ctx.Err() == nil {
		list, err := e.Cli.ContainerList(ctx, container.ListOptions{All: true, Filters: serviceFilter(id)})
		if err == nil && len(list) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Errorf("containers of service %s still there a minute after its removal", name)
}

func serviceFilter(id string) filters.Args {
	return filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.id="+id))
}

// TaskContainers returns the IDs of the service's running containers.
func (e *Env) TaskContainers(id string) []string {
	e.t.Helper()
	list, err := e.Cli.ContainerList(context.Background(), container.ListOptions{Filters: serviceFilter(id)})
	if err != nil {
		e.t.Fatalf("list containers of service %s: %v", id, err)
	}
	var ids []string
	for _, c := range list {
		if c.State == "running" {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// Tasks returns the service's tasks, in any state.
func (e *Env) Tasks(id string) []swarm.Task {
	e.t.Helper()
	tasks, err := e.Cli.TaskList(context.Background(), swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", id))})
	if err != nil {
		e.t.Fatalf("list tasks of service %s: %v", id, err)
	}
	return tasks
}

// WaitTasks waits (at most a minute) until exactly n tasks of the service
// run, as `docker service ls` shows n/n, and n of its containers run.
func (e *Env) WaitTasks(id string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		running := 0
		for _, t := range e.Tasks(id) {
			if t.Status.State == swarm.TaskStateRunning && t.DesiredState == swarm.TaskStateRunning {
				running++
			}
		}
		ctrs := len(e.TaskContainers(id))
		if running == n && ctrs == n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("service %s: %d tasks and %d containers running after a minute, want %d", id, running, ctrs, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
