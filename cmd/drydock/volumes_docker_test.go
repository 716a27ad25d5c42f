package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// These tests run drydock volumes against the real Docker engine
// (scripts/start-dockerd.sh); without one they skip, or fail under CI=true.
// They always name their own volumes as selectors, so that they never stop
// a container of another test or of the host.

// TestVolumesBackupEndToEnd backs up a volume a running container writes
// to: the snapshot has the volume's path and tags, the container runs
// again, stock restic restores what the volume holds, and the final pass
// reads only what changed since the warm pass.
func TestVolumesBackupEndToEnd(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	vol := f.Volume("e2e", map[string]string{appplan.LabelBackup: "true"})
	mp := f.mountpoint(vol)
	seeded := seed(t, mp, 20, 1)
	id := f.Container(dockertest.Spec{Name: "e2e", Mounts: []string{vol + ":/data"}})
	waitGrows(t, mp)

	var first backupJSON
	f.c.mustVolumesJSON(&first, "backup", vol)
	app := first.app(t, vol)
	if app.SnapshotID == "" || app.Error != "" || first.Failed != 0 {
		t.Fatalf("first backup: %+v", app)
	}
	if !slices.Equal(app.Stopped, []string{f.Name("e2e")}) || app.DowntimeSeconds <= 0 {
		t.Errorf("stopped %v for %.3fs, want the container and a downtime", app.Stopped, app.DowntimeSeconds)
	}
	if !f.Running(id) {
		t.Fatalf("container not running after the backup")
	}
	// Pass 2 read only the container's log: everything seeded was reused
	// from pass 1 without reading it again.
	if app.Warm == nil || app.Final == nil || app.Final.FilesUnmodified < uint(len(seeded)) || app.Final.FilesNew != 0 {
		t.Errorf("final pass did not reuse the warm pass: warm %+v final %+v", app.Warm, app.Final)
	}
	t.Logf("first backup: downtime %.3fs, warm %+v, final %+v", app.DowntimeSeconds, *app.Warm, *app.Final)

	host, _ := os.Hostname()
	var sns []struct {
		ID       string   `json:"id"`
		Paths    []string `json:"paths"`
		Hostname string   `json:"hostname"`
		Tags     []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(f.c.mustRestic(resticBin, "snapshots", "--json")), &sns); err != nil {
		t.Fatal(err)
	}
	wantPaths := []string{backup.AppDir(app.App), mp} // the app's own files (dumps, definition) and its volume
	slices.Sort(wantPaths)
	if len(sns) != 1 || sns[0].ID != app.SnapshotID || !slices.Equal(sns[0].Paths, wantPaths) ||
		sns[0].Hostname != host || !slices.Equal(sns[0].Tags, []string{"volume=" + vol}) {
		t.Errorf("restic sees %+v; want snapshot %s of [%s] on %s tagged volume=%s", sns, app.SnapshotID, mp, host, vol)
	}
	dst := t.TempDir()
	f.c.mustRestic(resticBin, "restore", app.SnapshotID, "--target", dst)
	compareContent(t, mp, filepath.Join(dst, mp))

	// A second run: the warm pass reuses the first snapshot (same host and
	// paths), the final pass reuses the warm one; little is added.
	var second backupJSON
	f.c.mustVolumesJSON(&second, "backup", vol)
	app2 := second.app(t, vol)
	if app2.Parent != app.SnapshotID {
		t.Errorf("second snapshot's parent %s, want the first %s", app2.Parent, app.SnapshotID)
	}
	if app2.Warm.FilesUnmodified < uint(len(seeded)) || app2.Final.FilesUnmodified < uint(len(seeded)) || app2.Final.FilesNew != 0 {
		t.Errorf("second run re-read files: warm %+v final %+v", app2.Warm, app2.Final)
	}
	if app2.Final.DataAdded > 1<<20 {
		t.Errorf("final pass of the second run added %d bytes, want only the log's new lines", app2.Final.DataAdded)
	}
	if out := f.c.mustRestic(resticBin, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}

// TestVolumesRestore puts a volume's old content back while its container
// was running, and the container runs (and writes) again afterwards.
func TestVolumesRestore(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("restore", map[string]string{appplan.LabelBackup: "true"})
	mp := f.mountpoint(vol)
	seeded := seed(t, mp, 8, 2)
	id := f.Container(dockertest.Spec{Name: "restore", Mounts: []string{vol + ":/data"}})
	waitGrows(t, mp)
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", vol)
	snap := b.app(t, vol).SnapshotID
	want := t.TempDir()
	copied, _ := snapshotOf(t, mp)
	for rel, data := range copied {
		writeFile(t, filepath.Join(want, rel), data)
	}

	// Change one file, remove one, add one.
	writeFile(t, filepath.Join(mp, seeded[0]), []byte("changed after the backup"))
	if err := os.Remove(filepath.Join(mp, seeded[1])); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(mp, "new-after-backup"), []byte("must go"))

	// A later snapshot of another app: latest still means this volume's.
	other := f.Volume("restoreother", map[string]string{appplan.LabelBackup: "true"})
	f.c.mustVolumesJSON(&backupJSON{}, "backup", other)

	var rep restoreReport
	f.c.mustVolumesJSON(&rep, "restore", "latest", vol)
	if rep.SnapshotID != snap || rep.SnapshotPath != mp || !slices.Equal(rep.Stopped, []string{f.Name("restore")}) {
		t.Errorf("restore report %+v", rep)
	}
	if !f.Running(id) {
		t.Fatal("container not running after the restore")
	}
	got, _ := snapshotOf(t, mp)
	for rel, data := range copied {
		if string(got[rel]) != string(data) {
			t.Errorf("%s: not restored (%d bytes, want %d)", rel, len(got[rel]), len(data))
		}
	}
	if _, ok := got["new-after-backup"]; ok {
		t.Error("a file added after the backup survived the restore")
	}
	// The staging directory and the old data are gone.
	entries, err := os.ReadDir(filepath.Dir(mp))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(mp) {
		t.Errorf("left beside the volume's data: %v", entries)
	}
	// The restarted container writes into the restored directory.
	waitGrows(t, mp)
}

// TestVolumesFailingPreHook: an app whose pre hook fails gets no snapshot
// and its container keeps running; another app in the same run is backed
// up; the exit code says that something failed.
func TestVolumesFailingPreHook(t *testing.T) {
	f := newVolFixture(t)
	bad := f.Volume("hookbad", map[string]string{appplan.LabelBackup: "true"})
	good := f.Volume("hookgood", map[string]string{appplan.LabelBackup: "true"})
	badID := f.Container(dockertest.Spec{Name: "hookbad", Mounts: []string{bad + ":/data"},
		Labels: map[string]string{appplan.LabelHookPre: `["/testapp","exit","3","hook fails on purpose"]`}})
	goodID := f.Container(dockertest.Spec{Name: "hookgood", Mounts: []string{good + ":/data"}})
	badStarted, _ := f.Times(badID)

	out, _, code := f.c.runVolumes("--json", "backup", bad, good)
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	var rep backupJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	b, g := rep.app(t, bad), rep.app(t, good)
	if b.SnapshotID != "" || !strings.Contains(b.Error, "pre hook") || !strings.Contains(b.Error, "hook fails on purpose") || len(b.Stopped) != 0 {
		t.Errorf("failing app: %+v", b)
	}
	if g.SnapshotID == "" || g.Error != "" || rep.Failed != 1 {
		t.Errorf("good app: %+v (failed %d)", g, rep.Failed)
	}
	if !f.Running(badID) || !f.Running(goodID) {
		t.Error("a container is not running after the backup")
	}
	if now, _ := f.Times(badID); !now.Equal(badStarted) {
		t.Errorf("the failing app's container was restarted (started %s, now %s)", badStarted, now)
	}
	var sns []struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(f.c.must("snapshots", "--json")), &sns); err != nil {
		t.Fatal(err)
	}
	if len(sns) != 1 || !slices.Equal(sns[0].Tags, []string{"volume=" + good}) {
		t.Errorf("snapshots %+v, want only the good app's", sns)
	}

	// As text, the error is printed once, with its context; the last line
	// only names the app.
	_, errOut, code := f.c.runVolumes("backup", bad)
	if n := strings.Count(errOut, "exit code 3"); code != exitFailure || n != 1 ||
		!strings.Contains(errOut, "1 app(s) failed: "+bad+" (see above)") {
		t.Errorf("exit %d, error printed %d times:\n%s", code, n, errOut)
	}
}

// TestVolumesLsJSON: the plan shows the volume, the containers to stop
// with why (a writer, a container sharing its network), the one that keeps
// running (read-only), and a volume skipped for not being opted in;
// --dry-run prints it and stops nothing.
func TestVolumesLsJSON(t *testing.T) {
	f := newVolFixture(t)
	group := "grp" + f.Suffix
	vol := f.Volume("ls", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: group})
	skipped := f.Volume("lsskip", nil)
	db := f.Container(dockertest.Spec{Name: "lsdb", Mounts: []string{vol + ":/data", skipped + ":/cache"}})
	f.Container(dockertest.Spec{Name: "lsside", NetworkMode: "container:" + f.Name("lsdb")})
	f.Container(dockertest.Spec{Name: "lsro", Mounts: []string{vol + ":/ro:ro"}, Cmd: []string{"run"}})
	dbStarted, _ := f.Times(db)

	var p planJSON
	f.c.mustVolumesJSON(&p, "ls", group)
	if len(p.Apps) != 1 {
		t.Fatalf("apps %+v, want one", p.Apps)
	}
	a := p.Apps[0]
	if a.Name != group || len(a.Volumes) != 1 || a.Volumes[0].Name != vol || a.Volumes[0].Mountpoint != f.mountpoint(vol) ||
		!slices.Equal(a.Tags, []string{"group=" + group}) || !slices.Equal(a.Volumes[0].Tags, []string{"volume=" + vol}) {
		t.Errorf("app %+v", a)
	}
	stops := map[string]string{}
	for _, d := range a.Stop {
		stops[d.Container] = d.Reason
	}
	if len(a.Stop) != 2 || a.Stop[0].Container != f.Name("lsside") {
		t.Errorf("stop %+v, want lsside then lsdb", a.Stop)
	}
	if why := stops[f.Name("lsdb")]; !strings.Contains(why, "mounts "+vol+" read-write") {
		t.Errorf("lsdb stops because %q", why)
	}
	if why := stops[f.Name("lsside")]; !strings.Contains(why, "depends on "+f.Name("lsdb")) {
		t.Errorf("lsside stops because %q", why)
	}
	if len(a.KeepRunning) != 1 || a.KeepRunning[0].Container != f.Name("lsro") || !strings.Contains(a.KeepRunning[0].Reason, "read-only") {
		t.Errorf("keep running %+v, want lsro (read-only)", a.KeepRunning)
	}
	i := slices.IndexFunc(p.Skipped, func(s skipJSON) bool { return s.Name == skipped })
	if i < 0 || !strings.Contains(p.Skipped[i].Reason, "not opted in") {
		t.Errorf("skipped %+v, want %s (not opted in)", p.Skipped, skipped)
	}

	out, _, code := f.c.runVolumes("backup", "--dry-run", vol)
	if code != 0 || !strings.Contains(out, "app "+group) || !strings.Contains(out, f.Name("lsside")) {
		t.Errorf("dry run: exit %d\n%s", code, out)
	}
	if now, _ := f.Times(db); !now.Equal(dbStarted) {
		t.Error("the dry run restarted a container")
	}
	if sns := f.c.must("snapshots", "--json"); strings.TrimSpace(sns) != "[]" {
		t.Errorf("the dry run wrote snapshots: %s", sns)
	}

	if _, errOut, code := f.c.runVolumes("backup", "--dry-run", skipped); code == 0 || !strings.Contains(errOut, "not opted in") {
		t.Errorf("selecting a skipped volume: exit %d, %s", code, errOut)
	}
}

// TestVolumesRestoreRefusedWhileInUse: a container drydock does not stop
// (drydock.stop=false) still uses the volume, so the restore fails and the
// volume keeps its data, with nothing left beside it.
func TestVolumesRestoreRefusedWhileInUse(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("inuse", map[string]string{appplan.LabelBackup: "true"})
	mp := f.mountpoint(vol)
	seed(t, mp, 3, 3)
	id := f.Container(dockertest.Spec{Name: "inuse", Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelStop: "false"}})
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", vol)
	writeFile(t, filepath.Join(mp, "after"), []byte("kept, since the restore fails"))

	_, errOut, code := f.c.runVolumes("restore", b.app(t, vol).SnapshotID, vol)
	if code != exitFailure || !strings.Contains(errOut, "used by running containers") || !strings.Contains(errOut, f.Name("inuse")) {
		t.Errorf("restore of a volume in use: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(mp, "after")); err != nil {
		t.Errorf("the failed restore changed the volume: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(mp)); len(entries) != 1 {
		t.Errorf("left beside the volume's data: %v", entries)
	}
	if !f.Running(id) {
		t.Error("container not running")
	}
}

// TestVolumesRecoversKilledRun: containers that a killed drydock left
// stopped (as its journal records) are started by the next backup, before
// anything else.
func TestVolumesRecoversKilledRun(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("killed", map[string]string{appplan.LabelBackup: "true"})
	id := f.Container(dockertest.Spec{Name: "killed", Mounts: []string{vol + ":/data"}})
	if err := f.Cli.ContainerStop(t.Context(), id, container.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	journal := map[string]any{"version": 1, "apps": map[string]any{vol: map[string]any{
		"since": time.Now().UTC(), "pid": 1 << 22,
		"containers": []appplan.ContainerRef{{ID: id, Name: f.Name("killed")}},
	}}}
	data, err := json.Marshal(journal)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.c.env["XDG_STATE_HOME"], "drydock", volume.JournalFile), data)

	_, errOut, code := f.c.runVolumes("backup", vol)
	if code != 0 || !strings.Contains(errOut, "started container "+f.Name("killed")) {
		t.Errorf("exit %d, %s", code, errOut)
	}
	if !f.Running(id) {
		t.Error("container left stopped by the killed run is not running")
	}
	// The old journal in the state directory was moved beside the host
	// lock, and cleared there.
	if _, err := os.Stat(filepath.Join(f.c.env["XDG_STATE_HOME"], "drydock", volume.JournalFile)); !os.IsNotExist(err) {
		t.Errorf("journal not cleared: %v", err)
	}
	if f.journaled(vol) {
		t.Errorf("journal beside the host lock not cleared")
	}
}
