package main

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the tests that have them")

// planApp is a compose app of two containers, web depending on db, each
// with a volume whose content only the test writes (the containers write
// nothing), so that its size is known.
type planApp struct {
	name          string
	dbVol, webVol string
	db, web       string // container IDs
	dbName, webNm string
}

func newPlanApp(f *volFixture, base string) *planApp {
	f.t.Helper()
	a := &planApp{name: f.Name(base)}
	group := map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: a.name}
	a.dbVol, a.webVol = f.Volume(base+"db", group), f.Volume(base+"web", group)
	seed(f.t, f.mountpoint(a.dbVol), 6, 21)
	seed(f.t, f.mountpoint(a.webVol), 3, 22)
	project := f.Name(base + "proj")
	compose := func(service string, extra map[string]string) map[string]string {
		l := map[string]string{appplan.ComposeProject: project, appplan.ComposeService: service, appplan.ComposeContainerNumber: "1"}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	quiet := []string{"run"} // writes nothing
	a.db = f.Container(dockertest.Spec{Name: base + "-db", Mounts: []string{a.dbVol + ":/data"}, Cmd: quiet, Labels: compose("db", nil)})
	a.web = f.Container(dockertest.Spec{Name: base + "-web", Mounts: []string{a.webVol + ":/data"}, Cmd: quiet,
		Labels: compose("web", map[string]string{appplan.ComposeDependsOn: "db:service_started:false"})})
	a.dbName, a.webNm = f.Name(base+"-db"), f.Name(base+"-web")
	return a
}

// restorePlanJSON is the --json output of volumes restore --dry-run.
type restorePlanJSON struct {
	MessageType string `json:"message_type"`
	OK          bool   `json:"ok"`
	apprestore.Preview
}

func (p restorePlanJSON) stopped() []string {
	var names []string
	for _, s := range p.Stop {
		names = append(names, s.Container)
	}
	return names
}

func (p restorePlanJSON) check(kind apprestore.CheckKind, subject string) (apprestore.Check, bool) {
	i := slices.IndexFunc(p.Checks, func(c apprestore.Check) bool { return c.Kind == kind && c.Subject == subject })
	if i < 0 {
		return apprestore.Check{}, false
	}
	return p.Checks[i], true
}

// dryRun runs `volumes restore --dry-run --json ARGS` and decodes the plan.
func (f *volFixture) dryRun(wantCode int, args ...string) (restorePlanJSON, string) {
	f.t.Helper()
	out, errOut, code := f.c.runVolumes(append([]string{"--json", "restore", "--dry-run"}, args...)...)
	var p restorePlanJSON
	if code != wantCode {
		f.t.Fatalf("restore --dry-run %v: exit %d, want %d\n%s", args, code, wantCode, errOut)
	}
	mustUnmarshal(f.t, out, &p)
	if p.MessageType != "restore_plan" || p.OK != (wantCode == 0) {
		f.t.Errorf("restore --dry-run %v: message_type %q, ok %v", args, p.MessageType, p.OK)
	}
	return p, errOut
}

// hostState is what a dry run must leave as it was.
type hostState struct {
	started  map[string]time.Time // container ID -> start time
	content  map[string]map[string][]byte
	beside   map[string][]string // entries beside each volume's data
	volumes  []string            // this test's volumes on the host
	repo     map[string]int64    // repository files (locks apart) -> size
	locks    int
	stateDir []string
}

func (f *volFixture) hostState(ids []string, vols []string) hostState {
	f.t.Helper()
	s := hostState{started: map[string]time.Time{}, content: map[string]map[string][]byte{}, beside: map[string][]string{}, repo: map[string]int64{}}
	for _, id := range ids {
		if !f.Running(id) {
			f.t.Errorf("container %s is not running", id)
		}
		s.started[id], _ = f.Times(id)
	}
	for _, v := range vols {
		mp := f.mountpoint(v)
		s.content[v], _ = snapshotOf(f.t, mp)
		s.beside[v] = dirNames(f.t, filepath.Dir(mp))
	}
	list, err := f.Cli.VolumeList(f.t.Context(), dvolume.ListOptions{Filters: filters.NewArgs(filters.Arg("name", f.Suffix))})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range list.Volumes {
		s.volumes = append(s.volumes, v.Name)
	}
	slices.Sort(s.volumes)
	root := f.c.env["RESTIC_REPOSITORY"]
	must(f.t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, "locks"+string(filepath.Separator)) {
			s.locks++
			return nil
		}
		info, err := d.Info()
		s.repo[rel] = info.Size()
		return err
	}))
	// Apart from the marks of lock owners, which every command that locks
	// the repository leaves (see lockOwner).
	must(f.t, filepath.WalkDir(f.c.env["XDG_STATE_HOME"], func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() && d.Name() == "lockowners" {
			return filepath.SkipDir
		}
		s.stateDir = append(s.stateDir, p)
		return err
	}))
	return s
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// assertUnchanged fails for every difference between two host states.
func (f *volFixture) assertUnchanged(before, after hostState) {
	f.t.Helper()
	for id, t0 := range before.started {
		if !after.started[id].Equal(t0) {
			f.t.Errorf("container %s was restarted by the dry run", id)
		}
	}
	for v, files := range before.content {
		if len(after.content[v]) != len(files) {
			f.t.Errorf("volume %s: %d files after the dry run, %d before", v, len(after.content[v]), len(files))
		}
		for rel, data := range files {
			if string(after.content[v][rel]) != string(data) {
				f.t.Errorf("volume %s: %s changed by the dry run", v, rel)
			}
		}
		if !slices.Equal(before.beside[v], after.beside[v]) {
			f.t.Errorf("volume %s: beside its data %v after the dry run, %v before", v, after.beside[v], before.beside[v])
		}
	}
	if !slices.Equal(before.volumes, after.volumes) {
		f.t.Errorf("volumes %v after the dry run, %v before", after.volumes, before.volumes)
	}
	if len(before.repo) != len(after.repo) || after.locks != 0 {
		f.t.Errorf("repository: %d files and %d locks after the dry run, %d files before", len(after.repo), after.locks, len(before.repo))
	}
	for p, n := range before.repo {
		if after.repo[p] != n {
			f.t.Errorf("repository file %s changed by the dry run", p)
		}
	}
	if !slices.Equal(before.stateDir, after.stateDir) {
		f.t.Errorf("state directory %v after the dry run, %v before", after.stateDir, before.stateDir)
	}
}

// contentSize is the files and bytes below dir.
func contentSize(t testing.TB, dir string) (files int, bytes uint64) {
	t.Helper()
	all, logs := snapshotOf(t, dir)
	if len(logs) != 0 {
		t.Fatalf("%s: logs %v: the content is not stable", dir, logs)
	}
	for _, b := range all {
		files++
		bytes += uint64(len(b))
	}
	return files, bytes
}

// TestVolumesRestorePlan: `volumes restore --dry-run` of an app (and of
// one volume) lists the containers in the order the restore stops and
// starts them, the bytes and files each volume gets (its content's), and
// the preconditions; one fails for a volume a foreign running container
// uses (exit 1, named). Nothing on the host or in the repository changes.
// The real restore then stops what the plan said.
func TestVolumesRestorePlan(t *testing.T) {
	f := newVolFixture(t)
	a := newPlanApp(f, "rpl")
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	ids, vols := []string{a.db, a.web}, []string{a.dbVol, a.webVol}
	before := f.hostState(ids, vols)

	p, _ := f.dryRun(0, "--app", a.name, "latest")
	if got, want := p.stopped(), []string{a.webNm, a.dbName}; !slices.Equal(got, want) {
		t.Errorf("stop order %v, want %v (the consumer first)", got, want)
	}
	if want := []string{a.dbName, a.webNm}; !slices.Equal(p.Start, want) {
		t.Errorf("start order %v, want %v (the provider first)", p.Start, want)
	}
	if p.App != a.name || len(p.Volumes) != 2 {
		t.Fatalf("plan: %+v", p.Preview)
	}
	var total uint64
	for _, v := range p.Volumes {
		files, bytes := contentSize(t, f.mountpoint(v.Name))
		if v.Action != apprestore.WillReplace || v.Driver != "local" || v.Files != files || v.Bytes != bytes || bytes == 0 {
			t.Errorf("volume %s: %+v, want replace (local), %d files, %d bytes", v.Name, v, files, bytes)
		}
		total += bytes
		for _, kind := range []apprestore.CheckKind{apprestore.KindSwappable, apprestore.KindUnused, apprestore.KindSnapshot, apprestore.KindRoom} {
			if c, ok := p.check(kind, v.Name); !ok || !c.OK {
				t.Errorf("volume %s: check %s: %+v (found %v)", v.Name, kind, c, ok)
			}
		}
	}
	if p.Bytes != total {
		t.Errorf("plan bytes %d, want %d", p.Bytes, total)
	}

	// One volume: its container and those depending on it.
	if p1, _ := f.dryRun(0, "latest", a.dbVol); !slices.Equal(p1.stopped(), []string{a.webNm, a.dbName}) || len(p1.Volumes) != 1 {
		t.Errorf("plan of volume %s: stop %v, volumes %+v", a.dbVol, p1.stopped(), p1.Volumes)
	}
	if p1, _ := f.dryRun(0, "latest", a.webVol); !slices.Equal(p1.stopped(), []string{a.webNm}) || !slices.Equal(p1.Start, []string{a.webNm}) {
		t.Errorf("plan of volume %s: stop %v, start %v, want web alone", a.webVol, p1.stopped(), p1.Start)
	}
	// Under another's exclusive lock: refused as locked; with --no-lock
	// made without a lock of its own.
	repoDir := f.c.env["RESTIC_REPOSITORY"]
	unlock := repotest.HoldLock(t, f.c.openRepo(repoDir), true)
	if _, _, code := f.c.runVolumes("restore", "--dry-run", "--app", a.name, "latest"); code != exitLocked {
		t.Errorf("dry run beside an exclusive lock: exit %d, want %d", code, exitLocked)
	}
	out, _, code := f.c.runVolumes("--no-lock", "restore", "--dry-run", "--app", a.name, "latest")
	if locks, _ := os.ReadDir(filepath.Join(repoDir, "locks")); code != 0 || len(locks) != 1 {
		t.Errorf("--no-lock text plan: exit %d, %d locks (want the one held)", code, len(locks))
	}
	must(t, unlock())
	f.assertGolden("volumes_restore_plan_app.golden", out, a.dbVol, p.SnapshotID)

	// A running container outside the app on db's volume.
	reader := f.Container(dockertest.Spec{Name: "rpl-reader", Mounts: []string{a.dbVol + ":/data:ro"}, Cmd: []string{"run"},
		Labels: map[string]string{appplan.LabelStop: "false"}})
	p, errOut := f.dryRun(exitFailure, "--app", a.name, "latest")
	if c, _ := p.check(apprestore.KindUnused, a.dbVol); c.OK || !strings.Contains(c.Detail, f.Name("rpl-reader")) {
		t.Errorf("check unused of %s: %+v", a.dbVol, c)
	}
	if c, _ := p.check(apprestore.KindUnused, a.webVol); !c.OK {
		t.Errorf("check unused of %s: %+v", a.webVol, c)
	}
	if !strings.Contains(errOut, `"unused" of volume `+a.dbVol) || strings.Contains(errOut, `"unused" of volume `+a.webVol) {
		t.Errorf("stderr does not name the failed precondition alone:\n%s", errOut)
	}
	out, errOut, code = f.c.runVolumes("restore", "--dry-run", "latest", a.dbVol)
	if code != exitFailure || !strings.Contains(errOut, `"unused" of volume `+a.dbVol) {
		t.Errorf("text plan with a foreign user: exit %d\n%s", code, errOut)
	}
	f.assertGolden("volumes_restore_plan_refused.golden", out, a.dbVol, p.SnapshotID)
	after := f.hostState(ids, vols)
	f.assertUnchanged(before, after)
	f.Forget(reader)
	removeByName(t, f, []string{f.Name("rpl-reader")}, nil)

	// The real restore stops what the plan said, in its order.
	var rep apprestore.Report
	f.c.mustVolumesJSON(&rep, "restore", "--lock-wait", "10m", "--app", a.name, "latest")
	if !slices.Equal(rep.Stopped, p.stopped()) || !slices.Equal(rep.Started, []string{a.dbName, a.webNm}) {
		t.Errorf("restore stopped %v (plan: %v), started %v", rep.Stopped, p.stopped(), rep.Started)
	}
	for i, v := range rep.Volumes {
		if v.Name != p.Volumes[i].Name || v.Files != p.Volumes[i].Files || v.Bytes != p.Volumes[i].Bytes {
			t.Errorf("restored %+v, plan %+v", v, p.Volumes[i])
		}
	}
}

// assertGolden compares a text plan with testdata/name, the test's
// random names and the Docker root made stable; -update rewrites it.
func (f *volFixture) assertGolden(name, got, vol, snapshotID string) {
	f.t.Helper()
	dockerRoot := filepath.Dir(filepath.Dir(filepath.Dir(f.mountpoint(vol))))
	got = strings.NewReplacer(dockerRoot+"/", "DOCKER/", f.Suffix, "SUFFIX", shortSnapshotID(snapshotID), "SNAPSHOT").Replace(got)
	path := filepath.Join("testdata", name)
	if *updateGolden {
		must(f.t, os.MkdirAll("testdata", 0o755))
		must(f.t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	if err != nil {
		f.t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		f.t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestVolumesRestorePlanRecreate: with web's container and volume gone,
// the plan of `--app --recreate` keeps db and creates web (from the
// host's image) and web's volume (driver local), stops db alone and
// starts both, db first; it creates nothing. The restore then does what
// the plan said. A definition target the snapshot cannot fill fails.
func TestVolumesRestorePlanRecreate(t *testing.T) {
	f := newVolFixture(t)
	a := newPlanApp(f, "rpr")
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	webFiles, webBytes := contentSize(t, f.mountpoint(a.webVol))
	f.Forget(a.web)
	removeByName(t, f, []string{a.webNm}, []string{a.webVol})
	t.Cleanup(func() { removeByName(t, f, []string{a.webNm}, []string{a.webVol}) })
	before := f.hostState([]string{a.db}, []string{a.dbVol})

	p, _ := f.dryRun(0, "--app", a.name, "--recreate", "latest")
	wantContainers := []apprestore.ContainerPlan{{Name: a.dbName, Action: apprestore.WillKeep}, {Name: a.webNm, Action: apprestore.WillCreate, Image: f.Image}}
	if len(p.Containers) != 2 {
		t.Fatalf("containers: %+v", p.Containers)
	}
	for i, want := range wantContainers {
		if got := p.Containers[i]; got.Name != want.Name || got.Action != want.Action || got.Image != want.Image {
			t.Errorf("container %d: %+v, want %+v", i, got, want)
		}
	}
	if !slices.Equal(p.stopped(), []string{a.dbName}) || !slices.Equal(p.Start, []string{a.dbName, a.webNm}) {
		t.Errorf("stop %v, start %v; want db stopped, db and web started", p.stopped(), p.Start)
	}
	if len(p.Volumes) != 2 || p.Volumes[1].Name != a.webVol || p.Volumes[1].Action != apprestore.WillCreate || p.Volumes[1].Driver != "local" ||
		p.Volumes[1].Files != webFiles || p.Volumes[1].Bytes != webBytes {
		t.Errorf("volumes: %+v, want %s created with %d files, %d bytes", p.Volumes, a.webVol, webFiles, webBytes)
	}
	for _, kind := range []apprestore.CheckKind{apprestore.KindImage, apprestore.KindDefinition} {
		if c, ok := p.check(kind, a.webNm); !ok || !c.OK {
			t.Errorf("check %s of %s: %+v (found %v)", kind, a.webNm, c, ok)
		}
	}
	if c, ok := p.check(apprestore.KindRoom, a.webVol); !ok || !c.OK {
		t.Errorf("check room of the volume to create: %+v (found %v)", c, ok)
	}
	p2, _ := f.dryRun(exitFailure, "--app", a.name, "--definition-target", t.TempDir(), "latest")
	if len(p2.Checks) != 1 || p2.Checks[0].Kind != apprestore.KindDefinitionTarget || len(p2.Volumes) != 0 || len(p2.Stop) != 0 {
		t.Errorf("plan of a definition target without compose files: %+v", p2.Preview)
	}
	f.assertUnchanged(before, f.hostState([]string{a.db}, []string{a.dbVol}))
	if _, err := f.Cli.ContainerInspect(t.Context(), a.webNm); err == nil {
		t.Error("the dry run created the container")
	}

	var rep apprestore.Report
	f.c.mustVolumesJSON(&rep, "restore", "--lock-wait", "10m", "--app", a.name, "--recreate", "latest")
	if !slices.Equal(rep.Stopped, p.stopped()) || len(rep.Containers) != 2 || rep.Containers[1].Action != apprestore.Created || rep.Containers[0].Action != apprestore.Kept {
		t.Errorf("restore stopped %v (plan %v), containers %+v", rep.Stopped, p.stopped(), rep.Containers)
	}
	if len(rep.Volumes) != 2 || !rep.Volumes[1].Created || rep.Volumes[1].Bytes != p.Volumes[1].Bytes || rep.Volumes[1].Files != p.Volumes[1].Files {
		t.Errorf("restored volumes %+v, plan %+v", rep.Volumes, p.Volumes)
	}
	if !slices.Equal(rep.Started, p.Start) {
		t.Errorf("running after the restore: %v, plan %v", rep.Started, p.Start)
	}
}
