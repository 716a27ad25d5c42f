package volume_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// These tests run against a real Docker engine (scripts/start-dockerd.sh);
// without one they skip, or fail under CI=true.

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m, "./internal/testapp")) }

type fixture struct {
	*dockertest.Env
	t     *testing.T
	state string
	m     *volume.Manager
}

func newFixture(t *testing.T, opts volume.Options) *fixture {
	t.Helper()
	env := dockertest.New(t)
	opts.StateDir = t.TempDir()
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.HealthTimeout == 0 {
		opts.HealthTimeout = 20 * time.Second
	}
	// After every case, whatever happened: what ran, runs.
	env.CheckRunning = true
	return &fixture{Env: env, t: t, state: opts.StateDir, m: volume.NewWithClient(env.Cli, opts)}
}

// plan discovers the host and returns the app holding volume vol.
func (f *fixture) plan(vol string) (*appplan.Plan, *appplan.App) {
	f.t.Helper()
	p, err := f.m.Plan(f.t.Context())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range p.Apps {
		for _, v := range a.Volumes {
			if v.Name == vol {
				return onlyApp(p, a), a
			}
		}
	}
	f.t.Fatalf("no app for volume %s in plan:\n%s", vol, planview.String(p))
	return nil, nil
}

// onlyApp narrows p to one app, so that tests never touch other tests' or
// the host's containers.
func onlyApp(p *appplan.Plan, a *appplan.App) *appplan.Plan {
	q := *p
	q.Apps = []*appplan.App{a}
	return &q
}

func (f *fixture) backup(vol string, fn volume.BackupFunc) (volume.Result, error) {
	f.t.Helper()
	return f.backupCtx(f.t.Context(), vol, fn)
}

func (f *fixture) backupCtx(ctx context.Context, vol string, fn volume.BackupFunc) (volume.Result, error) {
	f.t.Helper()
	p, _ := f.plan(vol)
	f.t.Logf("plan:\n%s", planview.String(p))
	rs, err := f.m.BackupPlan(ctx, p, fn)
	if len(rs) != 1 {
		f.t.Fatalf("got %d results, want 1", len(rs))
	}
	return rs[0], err
}

func (f *fixture) assertJournalCleared() {
	f.t.Helper()
	if _, err := os.Stat(filepath.Join(f.state, volume.JournalFile)); !errors.Is(err, os.ErrNotExist) {
		f.t.Errorf("journal still present after a successful restart (stat: %v)", err)
	}
}

// assertOrder checks, from Docker's own timestamps, that each consumer was
// stopped before and started after its provider.
func (f *fixture) assertOrder(names map[string]string, edges [][2]string) {
	f.t.Helper()
	for _, e := range edges {
		cs, cf := f.Times(names[e[0]])
		ps, pf := f.Times(names[e[1]])
		if !cf.Before(pf) {
			f.t.Errorf("%s stopped at %s, not before its provider %s at %s", e[0], cf, e[1], pf)
		}
		if !ps.Before(cs) {
			f.t.Errorf("%s started at %s, not after its provider %s at %s", e[0], cs, e[1], ps)
		}
	}
}

// recorder is a BackupFunc that notes which containers ran in each pass.
type recorder struct {
	f    *fixture
	ids  []string
	mu   sync.Mutex
	runs map[volume.Pass][]bool
	apps []appplan.App
}

func (r *recorder) fn(ctx context.Context, app appplan.App, pass volume.Pass) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = map[volume.Pass][]bool{}
	}
	for _, id := range r.ids {
		// Called on drydock's goroutine: report with Errorf, never Fatal.
		ins, err := r.f.Cli.ContainerInspect(ctx, id)
		if err != nil {
			r.f.t.Errorf("pass %s: %v", pass, err)
			continue
		}
		r.runs[pass] = append(r.runs[pass], ins.State.Running)
	}
	r.apps = append(r.apps, app)
	for _, v := range app.Volumes {
		if _, err := os.Stat(v.Mountpoint); err != nil {
			r.f.t.Errorf("pass %s: volume %s mountpoint: %v", pass, v.Name, err)
		}
	}
	return nil
}

func TestDockerChainComposeLinksVolumesFrom(t *testing.T) {
	f := newFixture(t, volume.Options{})
	project := "proj" + f.Suffix
	vol := f.Volume("db", map[string]string{appplan.LabelBackup: "true"})
	compose := func(svc, dependsOn string) map[string]string {
		return map[string]string{
			appplan.ComposeProject: project, appplan.ComposeService: svc,
			appplan.ComposeContainerNumber: "1", appplan.ComposeDependsOn: dependsOn,
		}
	}
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Health: true, Labels: compose("db", "")})
	api := f.Container(dockertest.Spec{Name: "api", Labels: compose("api", "db:service_healthy:false")})
	web := f.Container(dockertest.Spec{Name: "web", Links: []string{f.Name("api") + ":api"}})
	side := f.Container(dockertest.Spec{Name: "side", VolumesFrom: []string{f.Name("web") + ":ro"}})
	rec := &recorder{f: f, ids: []string{db, api, web, side}}

	res, err := f.backup(vol, rec.fn)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true, true}; !slices.Equal(rec.runs[volume.PassWarm], want) {
		t.Errorf("warm pass saw running=%v, want all running", rec.runs[volume.PassWarm])
	}
	if want := []bool{false, false, false, false}; !slices.Equal(rec.runs[volume.PassFinal], want) {
		t.Errorf("final pass saw running=%v, want all stopped", rec.runs[volume.PassFinal])
	}
	if want := []bool{true, true, true, true}; !slices.Equal(rec.runs[volume.PassCommit], want) {
		t.Errorf("commit saw running=%v, want all running again", rec.runs[volume.PassCommit])
	}
	if len(res.Stopped) != 4 || res.Downtime <= 0 {
		t.Errorf("stopped %v with downtime %s, want 4 containers and a downtime", res.Stopped, res.Downtime)
	}
	if app := rec.apps[1]; !slices.Contains(app.Volumes[0].Tags, "volume="+vol) {
		t.Errorf("volume tags %v, want volume=%s", app.Volumes[0].Tags, vol)
	}
	ids := map[string]string{"db": db, "api": api, "web": web, "side": side}
	f.assertOrder(ids, [][2]string{{"api", "db"}, {"web", "api"}, {"side", "web"}})
	f.assertJournalCleared()
}

func TestDockerDiamondNamespacesAndLabel(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("base", map[string]string{appplan.LabelGroup: "diamond"})
	base := f.Container(dockertest.Spec{Name: "base", Mounts: []string{vol + ":/data"}, IpcMode: "shareable",
		Labels: map[string]string{appplan.LabelBackup: "true"}})
	left := f.Container(dockertest.Spec{Name: "left", NetworkMode: "container:" + f.Name("base")})
	right := f.Container(dockertest.Spec{Name: "right", IpcMode: "container:" + base})
	top := f.Container(dockertest.Spec{Name: "top", PidMode: "container:" + f.Name("right"),
		Labels: map[string]string{appplan.LabelDependsOn: f.Name("left")}})

	p, app := f.plan(vol)
	if app.Name != "diamond" || !slices.Equal(app.Tags, []string{"group=diamond"}) {
		t.Errorf("app %q tags %v, want diamond, group=diamond", app.Name, app.Tags)
	}
	wantWaves := [][]string{{f.Name("top")}, {f.Name("left"), f.Name("right")}, {f.Name("base")}}
	if !slices.EqualFunc(app.StopWaves, wantWaves, slices.Equal) {
		t.Errorf("stop waves %v, want %v", app.StopWaves, wantWaves)
	}
	rs, err := f.m.BackupPlan(t.Context(), p, func(context.Context, appplan.App, volume.Pass) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(rs[0].Stopped) != 4 {
		t.Errorf("stopped %v, want 4", rs[0].Stopped)
	}
	ids := map[string]string{"base": base, "left": left, "right": right, "top": top}
	f.assertOrder(ids, [][2]string{{"left", "base"}, {"right", "base"}, {"top", "left"}, {"top", "right"}})
	f.assertJournalCleared()
}

func TestDockerFailingFinalPassRestarts(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", nil)
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelBackup: "true"}})
	boom := errors.New("repository unreachable")
	committed := false
	res, err := f.backup(vol, func(_ context.Context, _ appplan.App, pass volume.Pass) error {
		switch pass {
		case volume.PassFinal:
			return boom
		case volume.PassCommit:
			committed = true
		}
		return nil
	})
	if !errors.Is(err, boom) || !errors.Is(res.Err, boom) {
		t.Fatalf("err %v, want %v", err, boom)
	}
	if committed {
		t.Error("a failed final pass was committed")
	}
	if !f.Running(db) {
		t.Error("db not running after a failed final pass")
	}
	f.assertJournalCleared()
}

// TestDockerFailingCommit: a commit that fails (the snapshot cannot be
// written) fails the app's backup; the app runs, and it never was down
// for the commit.
func TestDockerFailingCommit(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", nil)
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelBackup: "true"}})
	boom := errors.New("snapshot not written")
	res, err := f.backup(vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass != volume.PassCommit {
			return nil
		}
		if ins, err := f.Cli.ContainerInspect(ctx, db); err != nil || !ins.State.Running {
			t.Errorf("commit ran with db not running (%v)", err)
		}
		return boom
	})
	if !errors.Is(err, boom) || !errors.Is(res.Err, boom) || !strings.Contains(res.Err.Error(), "commit") {
		t.Fatalf("err %v, want the commit's %v", res.Err, boom)
	}
	f.assertJournalCleared()
}

func TestDockerHooks(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", nil)
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.LabelBackup:   "true",
		appplan.LabelStop:     "false", // a database that dumps instead of stopping
		appplan.LabelHookPre:  `["/testapp", "dump", "/data/pre.dump"]`,
		appplan.LabelHookPost: `["/testapp", "dump", "/data/post.dump"]`,
		appplan.LabelHookUser: "0",
	}})
	var warm []string
	_, err := f.backup(vol, func(_ context.Context, app appplan.App, pass volume.Pass) error {
		if pass == volume.PassWarm {
			entries, _ := os.ReadDir(app.Volumes[0].Mountpoint)
			for _, e := range entries {
				warm = append(warm, e.Name())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(warm, "pre.dump") || slices.Contains(warm, "post.dump") {
		t.Errorf("warm pass saw %v, want pre.dump and no post.dump", warm)
	}
	if _, err := os.Stat(filepath.Join(f.Inspect(db).Mounts[0].Source, "post.dump")); err != nil {
		t.Errorf("post hook did not run: %v", err)
	}
}

func TestDockerHookTimeout(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.LabelHookPre:     `["/testapp", "sleep", "30s"]`,
		appplan.LabelHookTimeout: "500ms",
	}})
	start := time.Now()
	_, err := f.backup(vol, func(context.Context, appplan.App, volume.Pass) error { return nil })
	var he *volume.HookError
	if !errors.As(err, &he) || !errors.Is(err, context.DeadlineExceeded) || he.ExitCode != -1 {
		t.Fatalf("err %v, want a HookError for the timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("backup took %s; the hook timeout did not bound it", d)
	}
}

func TestDockerFailingPreHookAbortsAndRunsPost(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.LabelHookPre:  `["/testapp", "exit", "3", "disk full"]`,
		appplan.LabelHookPost: `["/testapp", "dump", "/data/post.dump"]`,
	}})
	startedBefore, _ := f.Times(db)
	called := false
	res, err := f.backup(vol, func(context.Context, appplan.App, volume.Pass) error { called = true; return nil })
	var he *volume.HookError
	if !errors.As(err, &he) {
		t.Fatalf("err %v, want a HookError", err)
	}
	if he.ExitCode != 3 || he.Phase != "pre" || !strings.Contains(he.Output, "disk full") || he.Container != f.Name("db") {
		t.Errorf("hook error %+v, want pre, exit 3, output with 'disk full', container %s", he, f.Name("db"))
	}
	for _, want := range []string{f.Name("db"), "exit code 3", "disk full", "/testapp"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if called || len(res.Stopped) != 0 {
		t.Errorf("backup ran (called=%v) or stopped %v after a failed pre hook", called, res.Stopped)
	}
	if started, _ := f.Times(db); !started.Equal(startedBefore) {
		t.Errorf("db was restarted (%s -> %s) though the backup was aborted", startedBefore, started)
	}
	if _, err := os.Stat(filepath.Join(f.Inspect(db).Mounts[0].Source, "post.dump")); err != nil {
		t.Errorf("post hook did not run after the failed pre hook: %v", err)
	}
}

func TestDockerCancelDuringFinalPass(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Health: true})
	web := f.Container(dockertest.Spec{Name: "web", NetworkMode: "container:" + db})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res, err := f.backupCtx(ctx, vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass == volume.PassFinal {
			cancel() // as SIGINT would
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if len(res.Stopped) != 2 || !f.Running(db) || !f.Running(web) {
		t.Errorf("stopped %v; db running %v, web running %v; want both stopped and running again", res.Stopped, f.Running(db), f.Running(web))
	}
	f.assertJournalCleared()
}

func TestDockerPanicInFinalPassRestarts(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}})
	func() {
		defer func() {
			if r := recover(); r != "callback bug" {
				t.Errorf("recovered %v, want the callback's panic", r)
			}
		}()
		_, _ = f.backup(vol, func(_ context.Context, _ appplan.App, pass volume.Pass) error {
			if pass == volume.PassFinal {
				panic("callback bug")
			}
			return nil
		})
	}()
	if !f.Running(db) {
		t.Error("db not running after a panic in the final pass")
	}
	f.assertJournalCleared()
}

func TestDockerMaxDowntime(t *testing.T) {
	f := newFixture(t, volume.Options{MaxDowntime: 2 * time.Second})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}})
	restartedFirst := false
	res, err := f.backup(vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass != volume.PassFinal {
			return nil
		}
		<-ctx.Done()
		// A slow callback: drydock must start the app without waiting for
		// it to return, so db runs again while this one still runs.
		restartedFirst = waitUntil(30*time.Second, func() bool {
			ins, err := f.Cli.ContainerInspect(context.Background(), db)
			return err == nil && ins.State.Running
		})
		return nil
	})
	if !errors.Is(err, volume.ErrMaxDowntime) {
		t.Fatalf("err %v, want ErrMaxDowntime", err)
	}
	if !restartedFirst {
		t.Error("the app was not started while the final pass was still running")
	}
	if res.Downtime < 2*time.Second {
		t.Errorf("downtime %s, shorter than the 2s maximum it ran into", res.Downtime)
	}
	if !f.Running(db) {
		t.Error("db not running after the maximum downtime")
	}
}

func TestDockerKilledThenRecover(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Health: true})
	web := f.Container(dockertest.Spec{Name: "web", Labels: map[string]string{appplan.LabelDependsOn: f.Name("db")}})
	p, app := f.plan(vol)
	// Stop, then "die": the undo is never called, as after kill -9.
	if _, err := f.m.Stop(t.Context(), p, app); err != nil {
		t.Fatal(err)
	}
	if f.Running(db) || f.Running(web) {
		t.Fatal("containers still running after Stop")
	}
	if _, err := os.Stat(filepath.Join(f.state, volume.JournalFile)); err != nil {
		t.Fatalf("no journal after Stop: %v", err)
	}
	// The next drydock process: a new Manager on the same state dir.
	next := volume.NewWithClient(f.Cli, volume.Options{StateDir: f.state})
	started, err := next.Recover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 2 || started[0].ID != db {
		t.Errorf("recover started %v, want db then web", started)
	}
	f.assertOrder(map[string]string{"db": db, "web": web}, [][2]string{{"web", "db"}})
	f.assertJournalCleared()
	if again, err := next.Recover(t.Context()); err != nil || len(again) != 0 {
		t.Errorf("second recover started %v, %v; want nothing", again, err)
	}
}

func TestDockerStoppedContainerStaysStopped(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}})
	idle := f.Container(dockertest.Spec{Name: "idle", Mounts: []string{vol + ":/data"}, NoStart: true})
	res, err := f.backup(vol, func(context.Context, appplan.App, volume.Pass) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stopped) != 1 || res.Stopped[0].ID != db {
		t.Errorf("stopped %v, want only db", res.Stopped)
	}
	if f.Running(idle) {
		t.Error("a container that was not running was started")
	}
}

func TestDockerRecreatedContainerIsFoundAgain(t *testing.T) {
	for _, tt := range []struct {
		name    string
		compose bool
	}{{"by compose project and service", true}, {"by name", false}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, volume.Options{})
			vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
			var labels map[string]string
			if tt.compose {
				labels = map[string]string{appplan.ComposeProject: "proj" + f.Suffix, appplan.ComposeService: "db", appplan.ComposeContainerNumber: "1"}
			}
			old := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: labels})
			p, app := f.plan(vol)
			undo, err := f.m.Stop(t.Context(), p, app)
			if err != nil {
				t.Fatal(err)
			}
			// Meanwhile the container is recreated: new ID, same labels and
			// name (compose keeps the name too; the name path has only it).
			if err := f.Cli.ContainerRemove(t.Context(), old, container.RemoveOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			f.Forget(old)
			repl := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Labels: labels, NoStart: true})
			if err := undo(t.Context()); err != nil {
				t.Fatal(err)
			}
			if !f.Running(repl) {
				t.Error("the recreated container was not started")
			}
			f.assertJournalCleared()
		})
	}
}

func TestDockerCycleIsRejected(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	a := f.Container(dockertest.Spec{Name: "a", Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelDependsOn: f.Name("b")}})
	b := f.Container(dockertest.Spec{Name: "b", Labels: map[string]string{appplan.LabelDependsOn: f.Name("a")}})
	called := false
	_, err := f.backup(vol, func(context.Context, appplan.App, volume.Pass) error { called = true; return nil })
	var ce *appplan.CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("err %v, want a CycleError", err)
	}
	ab, ba := f.Name("a")+" -> "+f.Name("b")+" -> "+f.Name("a"), f.Name("b")+" -> "+f.Name("a")+" -> "+f.Name("b")
	if msg := err.Error(); !strings.Contains(msg, ab) && !strings.Contains(msg, ba) {
		t.Errorf("error %q does not show the cycle path", err)
	}
	if called || !f.Running(a) || !f.Running(b) {
		t.Error("a cyclic app was backed up or stopped")
	}
}

func TestDockerDiscoveryOneoffAndBinds(t *testing.T) {
	f := newFixture(t, volume.Options{IncludeBinds: true})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	dir := t.TempDir()
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data", dir + ":/conf"}, Labels: map[string]string{appplan.LabelBackup: "true"}})
	f.Container(dockertest.Spec{Name: "run", Mounts: []string{vol + ":/data"},
		Labels: map[string]string{appplan.ComposeOneoff: "True", appplan.ComposeProject: "x", appplan.ComposeService: "db"}})
	_, app := f.plan(vol)
	var names []string
	for _, v := range app.Volumes {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	if want := []string{dir, vol}; !slices.Equal(names, want) {
		t.Errorf("app volumes %v, want %v (the bind mount too)", names, want)
	}
	if len(app.Stop) != 1 || app.Stop[0].Container.ID != db {
		t.Errorf("stop %v, want only db (the one-off container is ignored)", app.Stop)
	}
}

// TestDockerDiscoveryIgnoresDrills: a restore drill's copy and scratch
// volume are invisible to discovery, even with backup labels and a mount
// of a backed-up volume: no backup stops or stores them.
func TestDockerDiscoveryIgnoresDrills(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("real", map[string]string{appplan.LabelBackup: "true"})
	scratch := f.Volume("scratch", map[string]string{appplan.LabelBackup: "true", appplan.LabelDrill: "d1"})
	real := f.Container(dockertest.Spec{Name: "real", Mounts: []string{vol + ":/data"}})
	f.Container(dockertest.Spec{Name: "copy", Mounts: []string{vol + ":/data", scratch + ":/s"},
		Labels: map[string]string{appplan.LabelDrill: "d1", appplan.LabelDrillOf: "real", appplan.LabelBackup: "true"}})
	p, app := f.plan(vol)
	if len(app.Stop) != 1 || app.Stop[0].Container.ID != real || len(app.Containers) != 1 {
		t.Errorf("stop %v, containers %v: want only the real container", app.Stop, app.Containers)
	}
	for _, a := range p.Apps {
		for _, v := range a.Volumes {
			if v.Name == scratch {
				t.Errorf("the drill's scratch volume is in app %s", a.Name)
			}
		}
	}
}
