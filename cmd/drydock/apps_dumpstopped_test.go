package main

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// TestAppDumpOfStoppedContainer: the container of an app's dump is not
// running at backup time. Its volume is backed up, but the snapshot lacks
// the dump: exit 3, a warning naming the app and the dump, and the report
// says so.
func TestAppDumpOfStoppedContainer(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("dumpdown", map[string]string{appplan.LabelBackup: "true"})
	seed3(t, f.mountpoint(vol))
	id := f.Container(dockertest.Spec{Name: "dumpdown", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.LabelDump:     `["/testapp","emit","100","1"]`,
		appplan.LabelDumpName: "db.dump",
	}})
	f.Forget(id)
	if err := f.Cli.ContainerStop(t.Context(), id, container.StopOptions{}); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := f.c.runVolumes("backup", "--json", vol)
	if code != exitIncomplete {
		t.Errorf("exit %d, want %d (incomplete)\n%s%s", code, exitIncomplete, out, errOut)
	}
	want := "app " + vol + ": dump db.dump not taken: container " + f.Name("dumpdown") + " is not running"
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	var rep backupJSON
	mustUnmarshal(t, out, &rep)
	app := rep.app(t, vol)
	if app.SnapshotID == "" || len(app.DumpWarnings) != 1 || len(app.Dumps) != 0 {
		t.Errorf("report: snapshot %q, dump warnings %q, dumps %q; want a snapshot without the dump, and one warning", app.SnapshotID, app.DumpWarnings, app.Dumps)
	}
}

const dumpJobConfig = `state_dir: STATE
listen: ADDR
repositories:
  r:
    location: REPO
    password_file: PW
jobs:
  apps:
    repository: r
    schedule: "*/2 * * * * *"
    volumes:
      select: [VOL]
notify:
  - url: HOOK
`

// TestAppDumpOfStoppedContainerDaemon: in the daemon, the dump not taken
// is a warning of the run, in /status and in a "warning" notification.
func TestAppDumpOfStoppedContainerDaemon(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("dumpdownd", map[string]string{appplan.LabelBackup: "true"})
	id := f.Container(dockertest.Spec{Name: "dumpdownd", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.LabelDump: `["/testapp","emit","100","1"]`,
	}})
	f.Forget(id)
	if err := f.Cli.ContainerStop(t.Context(), id, container.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	hook := newWebhook(t)
	d := newVolumesDaemon(f)
	writeFile(t, d.cfg, []byte(strings.NewReplacer("STATE", d.state, "ADDR", d.addr, "REPO", f.c.env["RESTIC_REPOSITORY"],
		"PW", d.pw, "HOOK", hook.url(), "VOL", vol).Replace(dumpJobConfig)))
	p := startDaemonProc(t, f.c, d.cfg, d.addr)
	st := p.waitStatus(f.c, "a backup with the app", func(st *orchestrate.Status) bool {
		for _, j := range st.Jobs {
			if j.LastRun != nil && slices.ContainsFunc(j.LastRun.Apps, func(a orchestrate.AppResult) bool { return a.App == vol }) {
				return true
			}
		}
		return false
	})
	want := "dump " + f.Name("dumpdownd") + ".dump not taken: container " + f.Name("dumpdownd") + " is not running"
	var run *orchestrate.RunResult
	for _, j := range st.Jobs {
		if j.Kind == orchestrate.KindBackup {
			run = j.LastRun
		}
	}
	if run == nil || !slices.ContainsFunc(run.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
		t.Errorf("last run does not warn %q: %+v", want, run)
	}
	var msgs []map[string]string
	testenv.Eventually(30*time.Second, 100*time.Millisecond, func() bool {
		msgs = hook.messages()
		return slices.ContainsFunc(msgs, func(m map[string]string) bool { return m["event"] == "warning" && strings.Contains(m["message"], want) })
	})
	if !slices.ContainsFunc(msgs, func(m map[string]string) bool { return m["event"] == "warning" && strings.Contains(m["message"], want) }) {
		t.Errorf("no warning notification about the dump: %v", msgs)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
