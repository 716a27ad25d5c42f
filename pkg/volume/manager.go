package volume

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	dvolume "github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// containerAPI is what the stop/start session asks Docker, and all it
// asks: find, stop, start, pause and unpause containers, and scale Swarm
// services. The Docker client is one implementation; the engine of
// session_fake_test.go, which runs the session's table suite without
// Docker, is the other.
type containerAPI interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerStop(ctx context.Context, containerID string, options container.StopOptions) error
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerPause(ctx context.Context, containerID string) error
	ContainerUnpause(ctx context.Context, containerID string) error
	ServiceInspectWithRaw(ctx context.Context, serviceID string, opts swarm.ServiceInspectOptions) (swarm.Service, []byte, error)
	ServiceUpdate(ctx context.Context, serviceID string, version swarm.Version, service swarm.ServiceSpec, options swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
}

// hostAPI is the rest of what drydock asks Docker: volumes, execs (hooks
// and dumps), the raw inspects an app's definition holds, images.
type hostAPI interface {
	VolumeList(ctx context.Context, options dvolume.ListOptions) (dvolume.ListResponse, error)
	VolumeInspect(ctx context.Context, volumeID string) (dvolume.Volume, error)
	VolumeCreate(ctx context.Context, options dvolume.CreateOptions) (dvolume.Volume, error)
	ContainerExecCreate(ctx context.Context, containerID string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, config container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	ContainerInspectWithRaw(ctx context.Context, containerID string, getSize bool) (container.InspectResponse, []byte, error)
	VolumeInspectWithRaw(ctx context.Context, volumeID string) (dvolume.Volume, []byte, error)
	NetworkInspectWithRaw(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, []byte, error)
	ImageInspectWithRaw(ctx context.Context, imageID string) (image.InspectResponse, []byte, error)
	ImageSave(ctx context.Context, imageIDs []string, saveOpts ...client.ImageSaveOption) (io.ReadCloser, error)
}

// dockerAPI is the part of the Docker client drydock uses.
type dockerAPI interface {
	containerAPI
	hostAPI
}

var _ dockerAPI = (*client.Client)(nil)

// Options configure a Manager. The zero value of each field means its
// default, set in applyDefaults.
type Options struct {
	// StateDir holds the stop journal. Required for Backup, Stop and
	// Recover: without it a killed drydock could not restart what it
	// stopped.
	StateDir string
	// Logger receives progress; discarded when nil.
	Logger *slog.Logger
	// IncludeBinds also considers bind mounts of containers labelled
	// drydock.backup=true.
	IncludeBinds bool
	// MaxDowntime bounds how long one app stays stopped (stop, final
	// pass, start), unless the app's drydock.max-downtime label says
	// otherwise. Default 10m.
	MaxDowntime time.Duration
	// RestartTimeout bounds restarting an app's containers, on a context
	// that is not cancelled with the caller's. Default 3m.
	RestartTimeout time.Duration
	// HealthTimeout bounds the wait for a started provider to report
	// healthy. Default 60s.
	HealthTimeout time.Duration
	// HookTimeout is the default for drydock.hook.timeout. Default 5m.
	HookTimeout time.Duration
	// Parallel bounds concurrent stops or starts. Default 4.
	Parallel int
}

func (o *Options) applyDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxDowntime <= 0 {
		o.MaxDowntime = 10 * time.Minute // a long final pass on a big volume
	}
	if o.RestartTimeout <= 0 {
		o.RestartTimeout = 3 * time.Minute // several stop timeouts' worth
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 60 * time.Second // typical start_period
	}
	if o.HookTimeout <= 0 {
		o.HookTimeout = 5 * time.Minute // a database dump
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
}

// Manager discovers, plans and runs consistent volume backups on one
// Docker host. It is safe for concurrent use, but backs up one app at a
// time per call.
type Manager struct {
	ctr     containerAPI // containers and services: what the session uses
	host    hostAPI      // everything else
	closer  io.Closer    // the client New made; nil when the caller owns it
	opts    Options
	log     *slog.Logger
	journal sync.Mutex // serialises read-modify-write of the journal file
	// hostJournal is the directory of the host lock once LockHost took
	// it: the journal lives there from then on.
	hostJournal atomic.Pointer[string]
}

// New connects to the Docker daemon from the environment (DOCKER_HOST,
// DOCKER_CERT_PATH, ...), negotiating the API version.
func New(opts Options) (*Manager, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	m := newManager(cli, opts)
	m.closer = cli
	return m, nil
}

// Close releases the Docker client if New created it.
func (m *Manager) Close() error {
	if m.closer == nil {
		return nil
	}
	return m.closer.Close()
}

// NewWithClient returns a Manager using cli, which the caller closes.
func NewWithClient(cli *client.Client, opts Options) *Manager {
	return newManager(cli, opts)
}

func newManager(api dockerAPI, opts Options) *Manager {
	opts.applyDefaults()
	return &Manager{ctr: api, host: api, opts: opts, log: opts.Logger}
}

// Plan discovers the host and builds the backup plan.
func (m *Manager) Plan(ctx context.Context) (*appplan.Plan, error) {
	inv, err := m.Discover(ctx)
	if err != nil {
		return nil, err
	}
	return appplan.BuildPlan(inv, appplan.PlanOptions{IncludeBinds: m.opts.IncludeBinds, HookTimeout: m.opts.HookTimeout}), nil
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
