package volume_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// forceUpdate replaces the service's tasks as `docker service update
// --force` does and waits until a task other than old runs.
func forceUpdate(t *testing.T, f *fixture, id string, old []string) []string {
	t.Helper()
	ctx := context.Background()
	svc, _, err := f.Cli.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Errorf("inspect service: %v", err)
		return nil
	}
	spec := svc.Spec
	spec.TaskTemplate.ForceUpdate++
	if _, err := f.Cli.ServiceUpdate(ctx, id, svc.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
		t.Errorf("force update: %v", err)
		return nil
	}
	f.WaitTasks(id, 1)
	var now []string
	if waitUntil(time.Minute, func() bool {
		now = f.TaskContainers(id)
		return len(now) == 1 && !slices.Contains(old, now[0])
	}) {
		return now
	}
	t.Errorf("service %s: no new task a minute after a forced update", id)
	return nil
}

// lockedBuffer is a buffer a logger writes to from any goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTeeLogger logs to the test's output and to buf.
func newTeeLogger(t *testing.T, buf *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), buf), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestDockerSwarmTaskReplacedDuringRun: Swarm replaces the service's task
// during the warm pass (docker service update --force). The final pass
// still runs with the service scaled to 0; the dump runs in the new task,
// and the post hook in the task running after the scale back.
func TestDockerSwarmTaskReplacedDuringRun(t *testing.T) {
	var logs lockedBuffer
	f := newFixture(t, volume.Options{})
	f.m = volume.NewWithClient(f.Cli, volume.Options{StateDir: f.state, HealthTimeout: 20 * time.Second,
		Logger: newTeeLogger(t, &logs)})
	f.Swarm()
	vol := f.Volume("data", nil)
	svc := f.Service(dockertest.ServiceSpec{Name: "app", Replicas: 1, Mounts: []string{vol + ":/data"},
		Labels: map[string]string{
			appplan.LabelBackup:   "true",
			appplan.LabelHookPost: `["/testapp", "mark", "/data/post-hook.log"]`,
			appplan.LabelDump:     `["/testapp", "emit", "100", "1"]`,
		},
	})
	first := f.TaskContainers(svc)
	var mu sync.Mutex
	var replaced []string
	var dump []byte
	finalRunning := -1
	var snapshot map[string][]byte
	res, err := f.backup(vol, func(ctx context.Context, app appplan.App, pass volume.Pass) error {
		mu.Lock()
		defer mu.Unlock()
		switch pass {
		case volume.PassWarm:
			replaced = forceUpdate(t, f, svc, first)
			rc, err := f.m.OpenDump(ctx, app.Dumps[0])
			if err != nil {
				return err
			}
			defer rc.Close()
			dump, err = io.ReadAll(rc)
			return err
		case volume.PassFinal:
			finalRunning = len(f.TaskContainers(svc))
			snapshot = readTree(t, app.Volumes[0].Mountpoint)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if finalRunning != 0 {
		t.Errorf("%d task containers ran during the final pass, want 0: the replaced task was backed up live", finalRunning)
	}
	if len(res.Scaled) != 1 || res.Scaled[0].ID != svc || res.Downtime <= 0 {
		t.Errorf("scaled %+v, downtime %s; want the service scaled to 0 and back", res.Scaled, res.Downtime)
	}
	if len(replaced) != 1 {
		t.Fatal("the task was not replaced")
	}
	if !strings.Contains(logs.String(), replaced[0][:12]) {
		t.Errorf("the log does not name the task %s the dump ran in:\n%s", replaced[0][:12], logs.String())
	}
	if len(dump) == 0 {
		t.Error("the dump wrote nothing")
	}
	if len(snapshot) == 0 {
		t.Error("the final pass read nothing")
	}
	if reps, marked := serviceReplicas(t, f, svc); reps != 1 || marked {
		t.Errorf("service has %d replicas (marker %v), want 1", reps, marked)
	}
	f.WaitTasks(svc, 1)
	if got := bytes.Count(readTree(t, f.volumePath(vol))["post-hook.log"], []byte("\n")); got != 1 {
		t.Errorf("post hook ran %d times, want once", got)
	}
	f.assertJournalCleared()
}
