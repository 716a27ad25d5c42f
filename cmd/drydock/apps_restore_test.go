package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/drill"
)

// twoTierApp is a compose-labelled app: db (healthcheck) and web, which
// depends on db being healthy, each with a volume of its own, grouped into
// one app.
type twoTierApp struct {
	name, project  string
	dbVol, webVol  string
	db, web        string // container IDs
	dbName, webNam string
	work           string // compose working directory
}

func newTwoTierApp(f *volFixture, base string, webLabels map[string]string) *twoTierApp {
	f.t.Helper()
	a := &twoTierApp{name: f.Name(base), project: f.Name(base + "proj"), work: f.t.TempDir()}
	writeFile(f.t, filepath.Join(a.work, "compose.yaml"), []byte("services:\n  db: {image: testapp}\n  web: {image: testapp, depends_on: {db: {condition: service_healthy}}}\n"))
	writeFile(f.t, filepath.Join(a.work, ".env"), []byte("TOKEN=t0ken\n"))
	group := map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: a.name, "example.volume-label": "kept"}
	a.dbVol, a.webVol = f.Volume(base+"db", group), f.Volume(base+"web", group)
	seed(f.t, f.mountpoint(a.dbVol), 6, 11)
	seed(f.t, f.mountpoint(a.webVol), 4, 12)
	compose := func(service string, extra map[string]string) map[string]string {
		l := map[string]string{appplan.ComposeProject: a.project, appplan.ComposeService: service, appplan.ComposeContainerNumber: "1",
			appplan.ComposeConfigFiles: filepath.Join(a.work, "compose.yaml"), appplan.ComposeWorkingDir: a.work, "example.label": service}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	a.db = f.Container(dockertest.Spec{Name: base + "-db", Mounts: []string{a.dbVol + ":/data"}, Health: true, Restart: "unless-stopped",
		Labels: compose("db", nil)})
	web := map[string]string{appplan.ComposeDependsOn: "db:service_healthy:false"}
	for k, v := range webLabels {
		web[k] = v
	}
	a.web = f.Container(dockertest.Spec{Name: base + "-web", Mounts: []string{a.webVol + ":/data"}, Restart: "on-failure",
		Labels: compose("web", web)})
	a.dbName, a.webNam = f.Name(base+"-db"), f.Name(base+"-web")
	return a
}

// TestAppRestoreRecreate is the whole-app restore a host that lost an app
// needs: both containers and both volumes removed, then
// `volumes restore --app APP --recreate latest` brings back the volumes
// (content exact, labels kept) and the containers (names, labels, mounts,
// restart policy), started db before web, and the compose files.
func TestAppRestoreRecreate(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "arc", nil)
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", a.name)
	if app := b.app(t, a.name); app.SnapshotID == "" || app.Definition == "" {
		t.Fatalf("backup: %+v", app)
	}
	wantDB, _ := snapshotOf(t, f.mountpoint(a.dbVol))
	wantWeb, _ := snapshotOf(t, f.mountpoint(a.webVol))
	removeApp(f, a)

	// What the snapshot can bring back, against this host.
	var ls snapshotAppsJSON
	f.c.mustVolumesJSON(&ls, "ls", "--snapshot", "latest", a.name)
	if len(ls.Apps) != 1 || len(ls.Apps[0].Volumes) != 2 || len(ls.Apps[0].Containers) != 2 || len(ls.Apps[0].Compose[a.project]) != 2 {
		t.Fatalf("ls --snapshot: %+v", ls)
	}
	for _, it := range slices.Concat(ls.Apps[0].Volumes, ls.Apps[0].Containers) {
		if it.Here != "missing" {
			t.Errorf("ls --snapshot: %s here: %s, want missing", it.Name, it.Here)
		}
	}
	if !strings.Contains(ls.Apps[0].Restore, "--app "+a.name+" --recreate") {
		t.Errorf("ls --snapshot restore command: %s", ls.Apps[0].Restore)
	}
	if _, errOut, code := f.c.runVolumes("ls", "--snapshot", "latest", "no-such-app"); code != exitFailure || !strings.Contains(errOut, a.name) {
		t.Errorf("ls --snapshot of an unknown app: exit %d, %s", code, errOut)
	}

	// Names exist again from here on: remove them at the end.
	t.Cleanup(func() { removeByName(t, f, []string{a.webNam, a.dbName}, nil) })
	var rep apprestore.Report
	f.c.mustVolumesJSON(&rep, "restore", "--app", a.name, "--recreate", "--definition-target", filepath.Join(t.TempDir(), "def"), "latest")
	if len(rep.Volumes) != 2 || !rep.Volumes[0].Created || !rep.Volumes[1].Created {
		t.Errorf("volumes: %+v", rep.Volumes)
	}
	for _, c := range rep.Containers {
		if c.Action != apprestore.Created {
			t.Errorf("container %s: %s (%s)", c.Name, c.Action, c.Why)
		}
	}
	for vol, want := range map[string]map[string][]byte{a.dbVol: wantDB, a.webVol: wantWeb} {
		v, err := f.Cli.VolumeInspect(t.Context(), vol)
		if err != nil || v.Labels["example.volume-label"] != "kept" || v.Labels[appplan.LabelGroup] != a.name {
			t.Errorf("volume %s: %v, labels %v", vol, err, v.Labels)
		}
		got, _ := snapshotOf(t, f.mountpoint(vol))
		for rel, data := range want {
			if string(got[rel]) != string(data) {
				t.Errorf("volume %s: %s not restored exactly", vol, rel)
			}
		}
	}
	db, web := f.Inspect(a.dbName), f.Inspect(a.webNam)
	for _, c := range []struct {
		ins           container.InspectResponse
		vol, service  string
		restartPolicy container.RestartPolicyMode
	}{{db, a.dbVol, "db", "unless-stopped"}, {web, a.webVol, "web", "on-failure"}} {
		if !c.ins.State.Running || c.ins.Config.Labels["example.label"] != c.service || c.ins.Config.Labels[appplan.ComposeProject] != a.project {
			t.Errorf("container %s: running %v, labels %v", c.ins.Name, c.ins.State.Running, c.ins.Config.Labels)
		}
		if len(c.ins.Mounts) != 1 || c.ins.Mounts[0].Name != c.vol || c.ins.Mounts[0].Destination != "/data" {
			t.Errorf("container %s mounts: %+v", c.ins.Name, c.ins.Mounts)
		}
		if c.ins.HostConfig.RestartPolicy.Name != c.restartPolicy {
			t.Errorf("container %s restart policy %q, want %q", c.ins.Name, c.ins.HostConfig.RestartPolicy.Name, c.restartPolicy)
		}
	}
	dbStart, _ := time.Parse(time.RFC3339Nano, db.State.StartedAt)
	webStart, _ := time.Parse(time.RFC3339Nano, web.State.StartedAt)
	if !webStart.After(dbStart) || db.State.Health == nil || db.State.Health.Status != container.Healthy {
		t.Errorf("db started %s (health %v), web %s: want db healthy before web", dbStart, db.State.Health, webStart)
	}
	if len(rep.DefinitionFiles) != 2 {
		t.Errorf("definition files: %v", rep.DefinitionFiles)
	}
	for _, p := range rep.DefinitionFiles {
		if filepath.Base(p) == ".env" && string(must1(os.ReadFile(p))) != "TOKEN=t0ken\n" {
			t.Errorf("%s: wrong content", p)
		}
	}

	// Again, with the app in place: nothing is replaced, data restored.
	writeFile(t, filepath.Join(f.mountpoint(a.webVol), "after"), []byte("goes"))
	var again apprestore.Report
	f.c.mustVolumesJSON(&again, "restore", "--app", a.name, "--recreate")
	for _, c := range again.Containers {
		if c.Action != apprestore.Kept {
			t.Errorf("second restore: container %s %s", c.Name, c.Action)
		}
	}
	if _, err := os.Stat(filepath.Join(f.mountpoint(a.webVol), "after")); err == nil {
		t.Error("second restore left a file written after the backup")
	}
	if !slices.Equal(again.Stopped, []string{a.webNam, a.dbName}) || len(again.Started) != 2 {
		t.Errorf("second restore: stopped %v, started %v", again.Stopped, again.Started)
	}
}

// removeApp deletes the app as a lost host would: docker rm -f, docker
// volume rm.
func removeApp(f *volFixture, a *twoTierApp) {
	f.t.Helper()
	for _, id := range []string{a.web, a.db} {
		f.Forget(id)
		if err := f.Cli.ContainerRemove(f.t.Context(), id, container.RemoveOptions{Force: true}); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, v := range []string{a.dbVol, a.webVol} {
		if err := f.Cli.VolumeRemove(f.t.Context(), v, true); err != nil {
			f.t.Fatal(err)
		}
	}
}

func removeByName(t *testing.T, f *volFixture, containers, volumes []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, n := range containers {
		if err := f.Cli.ContainerRemove(ctx, n, container.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove container %s: %v", n, err)
		}
	}
	for _, n := range volumes {
		if err := f.Cli.VolumeRemove(ctx, n, true); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove volume %s: %v", n, err)
		}
	}
}

// TestAppRestoreRefusesForeignUser: a volume of the app that a running
// container outside the app uses (drydock.stop=false) is refused before
// anything is restored or stopped.
func TestAppRestoreRefusesForeignUser(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "arf", nil)
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	f.Container(dockertest.Spec{Name: "arf-reader", Mounts: []string{a.webVol + ":/data:ro"}, Cmd: []string{"run"}, Labels: map[string]string{appplan.LabelStop: "false"}})
	dbStarted, _ := f.Times(a.db)
	writeFile(t, filepath.Join(f.mountpoint(a.dbVol), "after"), []byte("kept"))
	_, errOut, code := f.c.runVolumes("restore", "--app", a.name)
	if code != exitFailure || !strings.Contains(errOut, f.Name("arf-reader")) || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(f.mountpoint(a.dbVol), "after")); err != nil {
		t.Error("the refused restore changed a volume")
	}
	if s, _ := f.Times(a.db); !s.Equal(dbStarted) {
		t.Error("the refused restore stopped the app")
	}
}

// drillJSON is the --json output of verify --boot.
type drillJSON struct {
	drill.Result
}

// TestDrillBoot: a drill of a good snapshot boots copies of both
// containers, passes its drydock.verify check, never touches the real app
// and leaves nothing behind; after a backup in which the checked file is
// missing, the drill fails, again leaving nothing behind.
func TestDrillBoot(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "drl", map[string]string{appplan.LabelVerify: `["/testapp","exists","/data/ready-marker"]`})
	writeFile(t, filepath.Join(f.mountpoint(a.webVol), "ready-marker"), []byte("x"))
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	dbStarted, _ := f.Times(a.db)
	webStarted, _ := f.Times(a.web)

	out, errOut, code := f.c.run("verify", "--json", "--app", a.name, "--boot")
	t.Logf("verify --boot: exit %d\n%s%s", code, out, errOut)
	var res drillJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.Passed || !res.CleanedUp {
		t.Fatalf("drill: exit %d, %v, %+v", code, err, res)
	}
	if len(res.Containers) != 2 || !res.Containers[0].Running || !strings.HasPrefix(res.Containers[0].Copy, drill.Prefix) {
		t.Errorf("copies: %+v", res.Containers)
	}
	if i := slices.IndexFunc(res.Containers, func(c drill.ContainerResult) bool { return c.Name == a.webNam }); i < 0 || res.Containers[i].Verify == nil {
		t.Errorf("the verify command did not run: %+v", res.Containers)
	}
	if i := slices.IndexFunc(res.Containers, func(c drill.ContainerResult) bool { return c.Name == a.dbName }); i < 0 || res.Containers[i].Health != container.Healthy {
		t.Errorf("db copy not healthy: %+v", res.Containers)
	}
	assertNoDrillLeft(t, f)
	for id, before := range map[string]time.Time{a.db: dbStarted, a.web: webStarted} {
		if s, _ := f.Times(id); !s.Equal(before) || !f.Running(id) {
			t.Errorf("the drill touched the real container %s", id)
		}
	}

	must(t, os.Remove(filepath.Join(f.mountpoint(a.webVol), "ready-marker")))
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	out, errOut, code = f.c.run("verify", "--app", a.name, "--boot", "--boot-timeout", "1m")
	t.Logf("verify --boot without the marker: exit %d\n%s%s", code, out, errOut)
	if code != exitFailure || !strings.Contains(errOut, "drydock.verify command") || !strings.Contains(out, "FAILED") {
		t.Errorf("drill of a bad snapshot: exit %d", code)
	}
	assertNoDrillLeft(t, f)
}

// assertNoDrillLeft fails if any container or volume a drill made is
// still there.
func assertNoDrillLeft(t *testing.T, f *volFixture) {
	t.Helper()
	args := filters.NewArgs(filters.Arg("label", appplan.LabelDrill))
	cs, err := f.Cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: args})
	if err != nil || len(cs) != 0 {
		t.Errorf("drill containers left: %d (%v)", len(cs), err)
	}
	vs, err := f.Cli.VolumeList(t.Context(), dvolume.ListOptions{Filters: args})
	if err != nil || len(vs.Volumes) != 0 {
		t.Errorf("drill volumes left: %d (%v)", len(vs.Volumes), err)
	}
}

// TestAppRestoreFreshHost: with an empty state directory, and the app's
// container, volume and image gone from the host, the whole-app restore
// loads the image the snapshot saved and runs the app again.
func TestAppRestoreFreshHost(t *testing.T) {
	f := newVolFixture(t)
	// An image of its own (a commit of the test image), so that removing
	// it removes its ID from the host.
	base := f.Container(dockertest.Spec{Name: "afh-base", NoStart: true})
	img := "dd-img-" + f.Suffix + ":v1"
	if _, err := f.Cli.ContainerCommit(t.Context(), base, container.CommitOptions{Reference: img}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = f.Cli.ImageRemove(context.Background(), img, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	vol := f.Volume("afh", map[string]string{appplan.LabelBackup: "true"})
	seed(t, f.mountpoint(vol), 3, 21)
	id := f.Container(dockertest.Spec{Name: "afh", Image: img, Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelSaveImage: "true"}})
	f.c.mustVolumesJSON(&backupJSON{}, "backup", vol)
	want, _ := snapshotOf(t, f.mountpoint(vol))

	f.Forget(id)
	must(t, f.Cli.ContainerRemove(t.Context(), id, container.RemoveOptions{Force: true}))
	must(t, f.Cli.ContainerRemove(t.Context(), base, container.RemoveOptions{Force: true}))
	must(t, f.Cli.VolumeRemove(t.Context(), vol, true))
	if _, err := f.Cli.ImageRemove(t.Context(), img, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
		t.Fatal(err)
	}
	f.c.env["XDG_STATE_HOME"] = t.TempDir() // a new host's empty state

	name := f.Name("afh")
	t.Cleanup(func() { removeByName(t, f, []string{name}, nil) })
	var rep apprestore.Report
	f.c.mustVolumesJSON(&rep, "restore", "--app", vol, "--recreate")
	if len(rep.Containers) != 1 || !rep.Containers[0].ImageLoaded || rep.Containers[0].Action != apprestore.Created {
		t.Errorf("containers: %+v", rep.Containers)
	}
	if ins := f.Inspect(name); !ins.State.Running || ins.Config.Image != img {
		t.Errorf("container %s: running %v, image %s", name, ins.State.Running, ins.Config.Image)
	}
	got, _ := snapshotOf(t, f.mountpoint(vol))
	for rel, data := range want {
		if string(got[rel]) != string(data) {
			t.Errorf("%s not restored exactly", rel)
		}
	}
}

// TestVolumeRestoreStopsOnlyWhatMounts: restoring one volume of a
// two-volume app stops only the containers mounting it and their
// consumers: web's volume stops web alone; db's stops db and web, which
// depends on it.
func TestVolumeRestoreStopsOnlyWhatMounts(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "rsm", nil)
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", a.name)
	snap := b.app(t, a.name).SnapshotID
	dbStarted, _ := f.Times(a.db)

	var rep restoreReport
	f.c.mustVolumesJSON(&rep, "restore", snap, a.webVol)
	if !slices.Equal(rep.Stopped, []string{a.webNam}) {
		t.Errorf("restore of web's volume stopped %v, want only web", rep.Stopped)
	}
	if s, _ := f.Times(a.db); !s.Equal(dbStarted) {
		t.Error("restore of web's volume restarted db")
	}
	f.c.mustVolumesJSON(&rep, "restore", snap, a.dbVol)
	if !slices.Equal(rep.Stopped, []string{a.webNam, a.dbName}) {
		t.Errorf("restore of db's volume stopped %v, want web then db", rep.Stopped)
	}
}
