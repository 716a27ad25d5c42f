package volume_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// readTree returns every regular file below dir by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Errorf("read %s: %v", dir, err)
	}
	return files
}

// serviceReplicas returns the service's desired replica count and whether
// it carries drydock's scaled-from marker.
func serviceReplicas(t *testing.T, f *fixture, id string) (uint64, bool) {
	t.Helper()
	svc, _, err := f.Cli.ServiceInspectWithRaw(context.Background(), id, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Fatalf("inspect service: %v", err)
	}
	_, marked := svc.Spec.Labels[appplan.LabelScaledFrom]
	return *svc.Spec.Mode.Replicated.Replicas, marked
}

// TestDockerSwarmReplicatedService backs up a 2-replica service sharing a
// volume twice. Its labels sit on the service (backup, pre hook) and on its
// containers (post hook). Each backup scales it to 0 for the final pass and
// back to 2: exactly 2 task containers run afterwards, never more; each
// hook ran once per backup; the final pass saw no task running and read
// the volume's content.
func TestDockerSwarmReplicatedService(t *testing.T) {
	f := newFixture(t, volume.Options{})
	f.Swarm()
	vol := f.Volume("data", nil)
	svc := f.Service(dockertest.ServiceSpec{Name: "app", Replicas: 2, Mounts: []string{vol + ":/data"}, Health: true,
		Labels: map[string]string{
			appplan.LabelBackup:  "true",
			appplan.LabelHookPre: `["/testapp", "mark", "/data/pre-hook.log"]`,
		},
		ContainerLabels: map[string]string{appplan.LabelHookPost: `["/testapp", "mark", "/data/post-hook.log"]`},
	})
	_, app := f.plan(vol)
	if len(app.Stop) != 2 || app.Stop[0].Action != appplan.ActionScale || app.Stop[1].Action != appplan.ActionScale {
		t.Fatalf("plan stops %+v, want the 2 tasks, by scaling", app.Stop)
	}
	if len(app.Hooks) != 2 || len(app.Containers) != 1 {
		t.Fatalf("plan hooks %+v, definition of %v: want one pre and one post hook, one task's definition", app.Hooks, app.Containers)
	}

	for n := 1; n <= 2; n++ {
		var mu sync.Mutex
		var snapshot map[string][]byte
		finalRunning := -1
		res, err := f.backup(vol, func(_ context.Context, app appplan.App, pass volume.Pass) error {
			mu.Lock()
			defer mu.Unlock()
			if pass == volume.PassFinal {
				finalRunning = len(f.TaskContainers(svc))
				snapshot = readTree(t, app.Volumes[0].Mountpoint)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("backup %d: %v", n, err)
		}
		if finalRunning != 0 {
			t.Errorf("backup %d: %d task containers ran during the final pass, want 0", n, finalRunning)
		}
		if len(res.Stopped) != 0 || len(res.Scaled) != 1 || res.Scaled[0].Replicas != 2 || res.Scaled[0].ID != svc {
			t.Errorf("backup %d: stopped %v, scaled %+v; want no container stopped, the service scaled from 2", n, res.Stopped, res.Scaled)
		}
		if res.Downtime <= 0 {
			t.Errorf("backup %d: downtime %s", n, res.Downtime)
		}
		// docker service ls: 2/2, and exactly 2 task containers run.
		if reps, marked := serviceReplicas(t, f, svc); reps != 2 || marked {
			t.Errorf("backup %d: service has %d replicas (marker left: %v), want 2", n, reps, marked)
		}
		if got := len(f.TaskContainers(svc)); got != 2 {
			t.Errorf("backup %d: %d task containers run, want 2", n, got)
		}
		// A sleep on purpose: what is checked is that no surplus task
		// appears, an event that must not happen; a second is when it
		// would have.
		time.Sleep(time.Second)
		if got := len(f.TaskContainers(svc)); got != 2 {
			t.Errorf("backup %d: %d task containers run a second later, want 2", n, got)
		}
		f.WaitTasks(svc, 2) // and docker service ls says 2/2

		now := readTree(t, f.volumePath(vol))
		for _, hook := range []string{"pre-hook.log", "post-hook.log"} {
			if got := bytes.Count(now[hook], []byte("\n")); got != n {
				t.Errorf("after backup %d: %s has %d lines, want %d (one run per backup)", n, hook, got, n)
			}
		}
		// The snapshot holds the volume's content at the final pass: the
		// pre hook's mark, and each task's log, which only grew since.
		if got := bytes.Count(snapshot["pre-hook.log"], []byte("\n")); got != n {
			t.Errorf("backup %d: snapshot's pre-hook.log has %d lines, want %d", n, got, n)
		}
		logs := 0
		for name, data := range snapshot {
			if strings.HasSuffix(name, ".log") && !strings.Contains(name, "hook") {
				logs++
				if !bytes.HasPrefix(now[name], data) || len(data) == 0 {
					t.Errorf("backup %d: snapshot's %s (%d bytes) is not what the volume held", n, name, len(data))
				}
			}
		}
		if logs == 0 { // on the host network all tasks share one host name
			t.Errorf("backup %d: snapshot holds no task log", n)
		}
	}
	f.assertJournalCleared()
}

// volumePath returns the host path of a volume.
func (f *fixture) volumePath(name string) string {
	f.t.Helper()
	v, err := f.Cli.VolumeInspect(context.Background(), name)
	if err != nil {
		f.t.Fatal(err)
	}
	return v.Mountpoint
}

// TestDockerSwarmKilledThenRecover: a drydock killed after it scaled a
// service to 0 left the journal; the next one scales the service back.
func TestDockerSwarmKilledThenRecover(t *testing.T) {
	f := newFixture(t, volume.Options{})
	f.Swarm()
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	svc := f.Service(dockertest.ServiceSpec{Name: "app", Replicas: 2, Mounts: []string{vol + ":/data"}})
	p, app := f.plan(vol)
	// Scale down, then "die": the undo is never called, as after kill -9.
	if _, err := f.m.Stop(t.Context(), p, app); err != nil {
		t.Fatal(err)
	}
	if reps, marked := serviceReplicas(t, f, svc); reps != 0 || !marked || len(f.TaskContainers(svc)) != 0 {
		t.Fatalf("after Stop: %d replicas (marker %v), %d containers; want 0, marked, none", reps, marked, len(f.TaskContainers(svc)))
	}
	journal, err := os.ReadFile(filepath.Join(f.state, volume.JournalFile))
	if err != nil || !strings.Contains(string(journal), `"`+svc+`": 2`) {
		t.Fatalf("journal %s (%v) does not record the 2 replicas", journal, err)
	}

	next := volume.NewWithClient(f.Cli, volume.Options{StateDir: f.state, HealthTimeout: 30 * time.Second})
	started, err := next.Recover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 1 || started[0].SwarmService != svc {
		t.Errorf("recover started %+v, want the service", started)
	}
	if reps, marked := serviceReplicas(t, f, svc); reps != 2 || marked {
		t.Errorf("after Recover: %d replicas (marker %v), want 2 and no marker", reps, marked)
	}
	f.WaitTasks(svc, 2)
	f.assertJournalCleared()
}

// TestDockerSwarmGlobalServiceIsBackedUpLive: a global service cannot be
// scaled to 0; its task is never stopped, and the plan says why.
func TestDockerSwarmGlobalServiceIsBackedUpLive(t *testing.T) {
	f := newFixture(t, volume.Options{})
	f.Swarm()
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	svc := f.Service(dockertest.ServiceSpec{Name: "agent", Global: true, Mounts: []string{vol + ":/data"}})
	before := f.TaskContainers(svc)
	p, app := f.plan(vol)
	if len(app.Stop) != 0 || len(app.Kept) != 1 || !strings.Contains(app.Kept[0].Reason, "global Swarm service "+f.Name("agent")+", which cannot be scaled") {
		t.Fatalf("plan:\n%s\nwant the global task kept running, saying why", planview.String(p))
	}
	// The kept reason is what drydock volumes ls prints beside the task
	// (cmd/drydock's TestVolumesRenderPlan shows kept reasons rendered).
	if !strings.Contains(app.Kept[0].Reason, "cannot be scaled to 0: backed up live") {
		t.Errorf("volumes ls text does not say the global service is backed up live:\n%s", planview.String(p))
	}
	running := true
	res, err := f.backup(vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass == volume.PassFinal {
			running = f.Running(before[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !running || len(res.Stopped) != 0 || len(res.Scaled) != 0 {
		t.Errorf("final pass saw the task running=%v; stopped %v, scaled %v: want it untouched", running, res.Stopped, res.Scaled)
	}
	if after := f.TaskContainers(svc); !slices.Equal(after, before) {
		t.Errorf("task containers %v after the backup, want the same %v", after, before)
	}
}

// TestDockerSwarmTaskIsPausedNotRescheduled verifies that freezing a task
// directly (drydock.stop=pause) does not make Swarm replace it: the same
// container runs afterwards, and the service never had another task.
func TestDockerSwarmTaskIsPausedNotRescheduled(t *testing.T) {
	f := newFixture(t, volume.Options{})
	f.Swarm()
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	svc := f.Service(dockertest.ServiceSpec{Name: "db", Replicas: 1, Mounts: []string{vol + ":/data"},
		ContainerLabels: map[string]string{appplan.LabelStop: appplan.StopPause}})
	before := f.TaskContainers(svc)
	startedBefore, _ := f.Times(before[0])
	paused := false
	res, err := f.backup(vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass == volume.PassFinal {
			paused = f.Inspect(before[0]).State.Paused
			// A sleep on purpose: the task stays paused long enough for
			// Swarm to reschedule it, if it did (checked below).
			time.Sleep(3 * time.Second)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !paused || len(res.Paused) != 1 || len(res.Scaled) != 0 {
		t.Errorf("task paused during the final pass: %v; result paused %v, scaled %v", paused, res.Paused, res.Scaled)
	}
	after := f.TaskContainers(svc)
	ins := f.Inspect(before[0])
	startedAfter, _ := f.Times(before[0])
	if !slices.Equal(after, before) || ins.State.Paused || !startedAfter.Equal(startedBefore) {
		t.Errorf("task containers %v (paused %v, started %s), want the same %v running since %s", after, ins.State.Paused, startedAfter, before, startedBefore)
	}
	if tasks := f.Tasks(svc); len(tasks) != 1 {
		t.Errorf("service has %d tasks, want the one: Swarm rescheduled the paused task", len(tasks))
	}
}

// TestDockerSwarmMaxDowntime: a service's final pass that outlasts the
// app's maximum downtime is cut: the service is scaled back while the pass
// still runs, and the backup fails.
func TestDockerSwarmMaxDowntime(t *testing.T) {
	f := newFixture(t, volume.Options{})
	f.Swarm()
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	svc := f.Service(dockertest.ServiceSpec{Name: "app", Replicas: 2, Mounts: []string{vol + ":/data"},
		Labels: map[string]string{appplan.LabelMaxDowntime: "15s"}})
	backFirst := false
	res, err := f.backup(vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass != volume.PassFinal {
			return nil
		}
		<-ctx.Done()
		backFirst = waitUntil(time.Minute, func() bool { return len(f.TaskContainers(svc)) == 2 })
		return ctx.Err()
	})
	if !errors.Is(err, volume.ErrMaxDowntime) || !strings.Contains(err.Error(), "drydock.max-downtime=15s on container") {
		t.Fatalf("err %v, want ErrMaxDowntime from the service's label", err)
	}
	if !backFirst {
		t.Error("the service was not scaled back while the final pass still ran")
	}
	if res.Downtime < 15*time.Second {
		t.Errorf("downtime %s, shorter than the limit it ran into", res.Downtime)
	}
	if reps, marked := serviceReplicas(t, f, svc); reps != 2 || marked {
		t.Errorf("service has %d replicas (marker %v), want 2", reps, marked)
	}
	f.WaitTasks(svc, 2)
	f.assertJournalCleared()
}
