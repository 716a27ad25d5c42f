package dockertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// Env creates Docker resources for one test, all named with one random
// suffix and removed in t.Cleanup.
type Env struct {
	t      testing.TB
	Cli    *client.Client
	Image  string
	Suffix string

	// CheckRunning makes the cleanup assert, before removing anything and
	// unless the test failed already, that every container Env started is
	// running (AssertAllRunning).
	CheckRunning bool

	mu         sync.Mutex
	running    map[string]string // ID -> name of containers started by Env
	containers []string          // created, in order
	volumes    []string
}

// New returns an Env; it skips or fails the test without Docker (see
// testenv.Docker).
func New(t testing.TB) *Env {
	t.Helper()
	cli := testenv.Docker(t)
	e := &Env{t: t, Cli: cli, Image: Image(t), Suffix: RandomSuffix(), running: map[string]string{}}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup removes what the test created, containers newest first (a
// consumer before the container whose namespace it shares), then volumes.
func (e *Env) cleanup() {
	if e.CheckRunning && !e.t.Failed() {
		e.AssertAllRunning()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.containers) - 1; i >= 0; i-- {
		err := e.Cli.ContainerRemove(ctx, e.containers[i], container.RemoveOptions{Force: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			e.t.Logf("remove container %s: %v", e.containers[i], err)
		}
	}
	for _, v := range e.volumes {
		if err := e.Cli.VolumeRemove(ctx, v, true); err != nil && !cerrdefs.IsNotFound(err) {
			e.t.Logf("remove volume %s: %v", v, err)
		}
	}
}

// Name returns base made unique for this test.
func (e *Env) Name(base string) string { return "dd-" + base + "-" + e.Suffix }

// Volume creates a named volume (name made unique) with labels.
func (e *Env) Volume(base string, labels map[string]string) string {
	e.t.Helper()
	name := e.Name(base)
	v, err := e.Cli.VolumeCreate(context.Background(), volume.CreateOptions{Name: name, Labels: labels})
	if err != nil {
		e.t.Fatalf("create volume %s: %v", name, err)
	}
	e.mu.Lock()
	e.volumes = append(e.volumes, v.Name)
	e.mu.Unlock()
	return v.Name
}

// Spec describes a test container. Mounts are "volume:/path[:ro]" or, for
// an absolute host path, bind mounts.
type Spec struct {
	Name        string // base name, made unique
	Image       string // default: the test image
	Labels      map[string]string
	Mounts      []string
	Cmd         []string // default: run, writing to the first mount
	Health      bool     // healthcheck: testapp health
	NetworkMode string   // default "none"
	IpcMode     string
	PidMode     string
	Links       []string
	VolumesFrom []string
	NoStart     bool   // create only
	Restart     string // restart policy name (docker run --restart); "" for none
	// StopTimeout is the container's stop timeout (docker run
	// --stop-timeout); 0 leaves Docker's default of 10 s.
	StopTimeout time.Duration
}

// Container creates (and unless NoStart, starts) a container; it returns
// its ID.
func (e *Env) Container(s Spec) string {
	e.t.Helper()
	ctx := context.Background()
	cfg := &container.Config{Image: e.Image, Labels: s.Labels, Cmd: s.Cmd}
	if s.Image != "" {
		cfg.Image = s.Image
	}
	if s.StopTimeout > 0 {
		secs := int(s.StopTimeout / time.Second)
		cfg.StopTimeout = &secs
	}
	hc := &container.HostConfig{
		NetworkMode: container.NetworkMode(s.NetworkMode),
		IpcMode:     container.IpcMode(s.IpcMode),
		PidMode:     container.PidMode(s.PidMode),
		Links:       s.Links,
		VolumesFrom: s.VolumesFrom,
	}
	if s.Restart != "" {
		hc.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyMode(s.Restart)}
	}
	if hc.NetworkMode == "" {
		hc.NetworkMode = "none"
	}
	for i, m := range s.Mounts {
		parts := strings.Split(m, ":")
		mt := mount.Mount{Type: mount.TypeVolume, Source: parts[0], Target: parts[1], ReadOnly: len(parts) > 2 && parts[2] == "ro"}
		if strings.HasPrefix(parts[0], "/") {
			mt.Type = mount.TypeBind
		}
		hc.Mounts = append(hc.Mounts, mt)
		if i == 0 && cfg.Cmd == nil {
			cfg.Cmd = []string{"run", "-dir", parts[1], "-interval", "100ms"}
		}
	}
	if cfg.Cmd == nil {
		cfg.Cmd = []string{"run"}
	}
	if s.Health {
		cfg.Healthcheck = &container.HealthConfig{
			Test:     []string{"CMD", "/testapp", "health"},
			Interval: 200 * time.Millisecond,
			Timeout:  5 * time.Second,
			Retries:  3,
		}
	}
	name := e.Name(s.Name)
	created, err := e.Cli.ContainerCreate(ctx, cfg, hc, nil, nil, name)
	if err != nil {
		e.t.Fatalf("create container %s: %v", name, err)
	}
	e.mu.Lock()
	e.containers = append(e.containers, created.ID)
	e.mu.Unlock()
	if !s.NoStart {
		if err := e.Cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
			e.t.Fatalf("start container %s: %v", name, err)
		}
		e.mu.Lock()
		e.running[created.ID] = name
		e.mu.Unlock()
	}
	return created.ID
}

// Forget drops id from the containers AssertAllRunning checks (the test
// removed it on purpose).
func (e *Env) Forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.running, id)
}

// Inspect returns the container's state, failing the test on error.
func (e *Env) Inspect(id string) container.InspectResponse {
	e.t.Helper()
	ins, err := e.Cli.ContainerInspect(context.Background(), id)
	if err != nil {
		e.t.Fatalf("inspect container %s: %v", id, err)
	}
	return ins
}

// Running reports whether the container runs.
func (e *Env) Running(id string) bool {
	e.t.Helper()
	ins := e.Inspect(id)
	return ins.State != nil && ins.State.Running
}

// AssertAllRunning fails the test unless every container Env started is
// running.
func (e *Env) AssertAllRunning() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, name := range e.running {
		ins, err := e.Cli.ContainerInspect(context.Background(), id)
		if err != nil {
			e.t.Errorf("container %s: %v", name, err)
			continue
		}
		if !ins.State.Running {
			e.t.Errorf("container %s is %s, want running", name, ins.State.Status)
		}
	}
}

// Times returns when the container last started and last finished.
func (e *Env) Times(id string) (started, finished time.Time) {
	e.t.Helper()
	ins := e.Inspect(id)
	started, _ = time.Parse(time.RFC3339Nano, ins.State.StartedAt)
	finished, _ = time.Parse(time.RFC3339Nano, ins.State.FinishedAt)
	return started, finished
}
