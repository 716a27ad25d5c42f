package orchestrate_test

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

const drillVolumesJob = consoleVolumesJob + `    verify: {schedule: "0 0 1 1 *", boot: true, boot_timeout: 1m}
`

// drillApp is an app of one healthchecked container on one volume whose
// drydock.verify command is verify, backed up by the daemon's job apps.
type drillApp struct {
	env       *dockertest.Env
	name, vol string
	ctr       string // ID
	ctrName   string
}

func newDrillApp(t *testing.T, env *dockertest.Env, base, verify string) *drillApp {
	t.Helper()
	a := &drillApp{env: env, name: env.Name(base)}
	a.vol = env.Volume(base+"data", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: a.name})
	a.write(t, "ready-marker", "x")
	a.write(t, "data.txt", "the app's data")
	a.ctr = env.Container(dockertest.Spec{Name: base + "-app", Mounts: []string{a.vol + ":/data"}, Cmd: []string{"run"}, Health: true,
		Labels: map[string]string{appplan.LabelVerify: verify}})
	a.ctrName = env.Name(base + "-app")
	return a
}

func (a *drillApp) mountpoint(t *testing.T) string {
	t.Helper()
	v, err := a.env.Cli.VolumeInspect(t.Context(), a.vol)
	if err != nil {
		t.Fatal(err)
	}
	return v.Mountpoint
}

func (a *drillApp) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(a.mountpoint(t), name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// files is the volume's content, by name.
func (a *drillApp) files(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(a.mountpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(a.mountpoint(t), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// untouched fails the test unless the real app runs as it did at
// started, with the volume content files, and no container or volume of
// a drill of it is left.
func (a *drillApp) untouched(t *testing.T, started time.Time, files map[string]string) {
	t.Helper()
	if s, _ := a.env.Times(a.ctr); !s.Equal(started) || !a.env.Running(a.ctr) {
		t.Errorf("the drill touched the real container %s: started %v (was %v), running %v", a.ctrName, s, started, a.env.Running(a.ctr))
	}
	if got := a.files(t); !maps.Equal(got, files) {
		t.Errorf("the drill changed the real volume %s: %v, was %v", a.vol, got, files)
	}
	for _, of := range []string{a.ctrName, a.vol} {
		args := filters.NewArgs(filters.Arg("label", appplan.LabelDrillOf+"="+of))
		cs, err := a.env.Cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: args})
		if err != nil || len(cs) != 0 {
			t.Errorf("drill containers of %s left: %d (%v)", of, len(cs), err)
		}
		vs, err := a.env.Cli.VolumeList(t.Context(), dvolume.ListOptions{Filters: args})
		if err != nil || len(vs.Volumes) != 0 {
			t.Errorf("drill volumes of %s left: %d (%v)", of, len(vs.Volumes), err)
		}
	}
}

// backUp runs the job's backup now and waits for its success.
func backUp(t *testing.T, td *testDaemon, runs int) {
	t.Helper()
	if _, err := td.d.RunNow("apps", orchestrate.KindBackup); err != nil {
		t.Fatal(err)
	}
	st := td.waitFor("the backup", 2*time.Minute, func(st orchestrate.Status) bool { return job(st, "apps", "backup").Runs == runs })
	if lr := job(st, "apps", "backup").LastRun; lr == nil || lr.Result != orchestrate.ResultSuccess {
		t.Fatalf("the backup: %+v", lr)
	}
}

// waitOperation polls the console's API until operation id has ended.
func waitOperation(t *testing.T, td *testDaemon, state, id string) oplog.Operation {
	t.Helper()
	var op oplog.Operation
	if !testenv.Eventually(3*time.Minute, 100*time.Millisecond, func() bool {
		code, b := consoleAPI(t, td, state, "GET", "/api/v1/operations/"+id)
		return code == http.StatusOK && json.Unmarshal(b, &op) == nil && op.Status != oplog.Running
	}) {
		t.Fatalf("operation %s did not end: %+v\nlog:\n%s", id, op, td.logs.String())
	}
	return op
}

// consoleApp is app as GET /api/v1/apps shows it.
func consoleApp(t *testing.T, td *testDaemon, state, app string) console.App {
	t.Helper()
	var rep console.AppsReport
	if code, b := consoleAPI(t, td, state, "GET", "/api/v1/apps"); code != http.StatusOK || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("GET /api/v1/apps: %d %s", code, b)
	}
	i := slices.IndexFunc(rep.Apps, func(a console.App) bool { return a.Name == app })
	if i < 0 {
		t.Fatalf("app %s not listed", app)
	}
	return rep.Apps[i]
}

func logText(op oplog.Operation) string {
	var b strings.Builder
	for _, l := range op.Log {
		b.WriteString(l.Level + ": " + l.Text + "\n")
	}
	return b.String()
}

// TestDaemonDrillApp: DrillApp drills a real app from the latest
// snapshot its volumes job wrote, as an operation of the history (kind
// drill, the job's name, manual) that passes, while a second drill of the
// app is refused; the app's last drill in the console is that drill, and
// the real app's container and volume are untouched. After a backup in
// which the file the app's drydock.verify checks is missing, the drill
// fails with the check's error, in the history and as the last drill. An
// app not on the host, one no job backs up and one without a snapshot
// yet are refused before anything starts.
func TestDaemonDrillApp(t *testing.T) {
	env := dockertest.New(t)
	a := newDrillApp(t, env, "dra", `["/testapp","exists","/data/ready-marker"]`)
	ovol := env.Volume("draother", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: env.Name("draother")})
	env.Container(dockertest.Spec{Name: "dra-other", Mounts: []string{ovol + ":/data"}, Cmd: []string{"run"}})
	state := t.TempDir()
	td := startDaemon(t, fill(drillVolumesJob, "STATE", state, "SHOP", a.name), nil)

	for app, want := range map[string]error{a.name: orchestrate.ErrNoSnapshot, env.Name("nosuch"): orchestrate.ErrNoApp, env.Name("draother"): orchestrate.ErrNotBackedUp} {
		if op, err := td.d.DrillApp(t.Context(), app); !errors.Is(err, want) || op.ID != "" {
			t.Errorf("DrillApp(%s): %+v, %v; want %v", app, op, err, want)
		}
	}
	for app, want := range map[string]int{a.name: http.StatusNotFound, env.Name("nosuch"): http.StatusNotFound, env.Name("draother"): http.StatusNotFound} {
		if code, b := consoleAPI(t, td, state, "POST", "/api/v1/apps/"+app+"/drill"); code != want {
			t.Errorf("POST drill of %s: %d %s, want %d", app, code, b, want)
		}
	}
	backUp(t, td, 1)
	started, _ := env.Times(a.ctr)
	files := a.files(t)

	op, err := td.d.DrillApp(t.Context(), a.name)
	if err != nil || op.Kind != orchestrate.KindDrill || op.Job != "apps" || op.Trigger != oplog.Manual || op.Status != oplog.Running || op.Repository != "local" {
		t.Fatalf("DrillApp: %+v, %v", op, err)
	}
	if again, err := td.d.DrillApp(t.Context(), a.name); !errors.Is(err, orchestrate.ErrDrillRunning) || again.ID != "" {
		t.Errorf("a second DrillApp while the first runs: %+v, %v; want ErrDrillRunning", again, err)
	}
	if code, b := consoleAPI(t, td, state, "POST", "/api/v1/apps/"+a.name+"/drill"); code != http.StatusConflict {
		t.Errorf("POST drill while one runs: %d %s, want 409", code, b)
	}
	op = waitOperation(t, td, state, op.ID)
	t.Logf("the drill's log:\n%s", logText(op))
	if op.Status != oplog.Success || op.Error != "" || !strings.Contains(logText(op), "container "+a.ctrName+" booted as "+"drydock-drill-") ||
		!strings.Contains(logText(op), "passed") || op.Bytes == 0 {
		t.Errorf("the drill's operation: %s %q, %d bytes\n%s", op.Status, op.Error, op.Bytes, logText(op))
	}
	last := consoleApp(t, td, state, a.name).LastDrill
	if last == nil || !last.Passed || last.Job != "apps" || last.Error != "" || time.Since(last.Time) > time.Minute {
		t.Errorf("last drill %+v, want the one that passed", last)
	}
	a.untouched(t, started, files)

	if err := os.Remove(filepath.Join(a.mountpoint(t), "ready-marker")); err != nil {
		t.Fatal(err)
	}
	backUp(t, td, 2)
	started, _ = env.Times(a.ctr)
	files = a.files(t)
	// This one from the console, as its Drill now button does.
	code, b := consoleAPI(t, td, state, "POST", "/api/v1/apps/"+a.name+"/drill")
	if code != http.StatusAccepted || json.Unmarshal(b, &op) != nil || op.Kind != orchestrate.KindDrill {
		t.Fatalf("POST drill: %d %s", code, b)
	}
	op = waitOperation(t, td, state, op.ID)
	t.Logf("the failed drill's log:\n%s", logText(op))
	if op.Status != oplog.Failure || !strings.Contains(op.Error, "drydock.verify") || !strings.Contains(logText(op), "failed") {
		t.Errorf("the drill of a bad snapshot: %s %q\n%s", op.Status, op.Error, logText(op))
	}
	if last := consoleApp(t, td, state, a.name).LastDrill; last == nil || last.Passed || !strings.Contains(last.Error, "drydock.verify") {
		t.Errorf("last drill %+v, want the failed one", last)
	}
	a.untouched(t, started, files)
}

// TestDaemonDrillAppInterrupted: a drill DrillApp started logs its
// progress live in its operation, and a daemon that stops cancels it,
// records it as interrupted, removes what it made and leaves the real
// app alone.
func TestDaemonDrillAppInterrupted(t *testing.T) {
	env := dockertest.New(t)
	a := newDrillApp(t, env, "dri", `["/testapp","sleep","5m"]`)
	state := t.TempDir()
	td := startDaemon(t, fill(drillVolumesJob, "STATE", state, "SHOP", a.name), nil)
	backUp(t, td, 1)
	started, _ := env.Times(a.ctr)
	files := a.files(t)

	op, err := td.d.DrillApp(t.Context(), a.name)
	if err != nil {
		t.Fatal(err)
	}
	// Stopped while the copy's drydock.verify command runs: an exec of
	// the healthy copy seen running in three polls in a row (the
	// healthcheck's execs end within milliseconds).
	args := filters.NewArgs(filters.Arg("label", appplan.LabelDrillOf+"="+a.ctrName))
	seen := map[string]int{}
	if !testenv.Eventually(2*time.Minute, 100*time.Millisecond, func() bool {
		cs, err := env.Cli.ContainerList(t.Context(), container.ListOptions{Filters: args})
		if err != nil || len(cs) != 1 {
			return false
		}
		ins, err := env.Cli.ContainerInspect(t.Context(), cs[0].ID)
		if err != nil || ins.State == nil || ins.State.Health == nil || ins.State.Health.Status != container.Healthy {
			return false
		}
		for _, id := range ins.ExecIDs {
			if ex, err := env.Cli.ContainerExecInspect(t.Context(), id); err == nil && ex.Running {
				if seen[id]++; seen[id] >= 3 {
					return true
				}
			}
		}
		return false
	}) {
		t.Fatalf("the drill's verify command did not start\n%s", td.logs.String())
	}
	code, b := consoleAPI(t, td, state, "GET", "/api/v1/operations/"+op.ID)
	if code != http.StatusOK || json.Unmarshal(b, &op) != nil || op.Status != oplog.Running || !strings.Contains(logText(op), "drill: starting copy") {
		t.Fatalf("the drill while it runs: %d %+v, want running with a live line of the copy's start\n%s", code, op, logText(op))
	}
	td.stop()
	h, err := oplog.Open(filepath.Join(state, "history.jsonl"), 100)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := h.Get(op.ID)
	t.Logf("the interrupted drill: %s %q\n%s", got.Status, got.Error, logText(got))
	if !ok || got.Status != oplog.Failure || !strings.Contains(got.Error, "interrupted: drydock is stopping") {
		t.Errorf("the drill after the stop: %+v, want recorded as interrupted", got)
	}
	a.untouched(t, started, files)
}

// TestDaemonDrillAppNoDocker: without a reachable Docker engine DrillApp
// says so (ErrNoDocker, which the console answers 503), and starts no
// operation.
func TestDaemonDrillAppNoDocker(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	state := t.TempDir()
	td := startDaemon(t, fill(drillVolumesJob, "STATE", state, "SHOP", "shop"), nil)
	if op, err := td.d.DrillApp(t.Context(), "shop"); !errors.Is(err, orchestrate.ErrNoDocker) || op.ID != "" {
		t.Errorf("DrillApp without Docker: %+v, %v; want ErrNoDocker", op, err)
	}
	if ops := operationsOf(t, td, state); len(ops) != 0 {
		t.Errorf("operations %+v, want none", ops)
	}
}
