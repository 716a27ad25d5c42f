package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

const volumeJobConfig = `state_dir: STATE
listen: ADDR
repositories:
  r:
    location: REPO
    password_file: PW
jobs:
  apps:
    repository: r
    schedule: SCHEDULE
    volumes: {}
`

// volumesDaemon runs `drydock daemon` with one volumes job on the
// fixture's repository, with a state directory of its own.
type volumesDaemon struct {
	f                *volFixture
	state, cfg, addr string
	pw               string
}

func newVolumesDaemon(f *volFixture) *volumesDaemon {
	dir := f.t.TempDir()
	d := &volumesDaemon{f: f, state: filepath.Join(dir, "state"), cfg: filepath.Join(dir, "drydock.yaml"),
		addr: miniotest.ClosedAddr(f.t), pw: filepath.Join(dir, "pw")}
	writeFile(f.t, d.pw, []byte(f.c.env["RESTIC_PASSWORD"]+"\n"))
	return d
}

// start writes the configuration with the job's schedule and starts the
// daemon.
func (d *volumesDaemon) start(schedule string) *daemonProc {
	writeFile(d.f.t, d.cfg, []byte(strings.NewReplacer("STATE", d.state, "ADDR", d.addr, "REPO", d.f.c.env["RESTIC_REPOSITORY"],
		"PW", d.pw, "SCHEDULE", schedule).Replace(volumeJobConfig)))
	return startDaemonProc(d.f.t, d.f.c, d.cfg, d.addr)
}

// touchingApp starts a container that keeps touching the 96 MiB it has in
// vol, so that the final pass of a backup re-reads all of it: the app
// stays stopped long enough for a test to see it and act (with a few
// untouched files, it was stopped for 60 ms).
func touchingApp(t *testing.T, f *volFixture, vol, name string) string {
	writeRandomFiles(t, f.mountpoint(vol), 48, 2<<20)
	return f.Container(dockertest.Spec{Name: name, Mounts: []string{vol + ":/data"},
		Cmd: []string{"run", "-dir", "/data", "-interval", "100ms", "-touch"}})
}

// TestDaemonSIGTERMWhileAppStopped: SIGTERM reaches the daemon while a
// scheduled volumes backup has the app's container stopped. The daemon
// starts the container again, releases its locks and exits 0; the stop
// journal is empty and the repository is clean.
func TestDaemonSIGTERMWhileAppStopped(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	vol := f.Volume("dmn", map[string]string{appplan.LabelBackup: "true"})
	id := touchingApp(t, f, vol, "dmn")
	started, _ := f.Times(id)
	d := newVolumesDaemon(f)
	p := d.start(`"*/2 * * * * *"`)

	// The moment the daemon has the container stopped, signal.
	f.waitStoppedByDrydock(id, started, p.exited)
	p.signal(syscall.SIGTERM)
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if !f.Running(id) {
		t.Errorf("container not running after the daemon stopped")
	}
	if f.journaled(vol) {
		t.Errorf("stop journal left behind: %v", vol)
	}
	if locks := strings.TrimSpace(f.c.mustRestic(resticBin, "list", "locks")); locks != "" {
		t.Errorf("locks left behind: %s", locks)
	}
	if out := f.c.mustRestic(resticBin, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}

// TestDaemonKill9HealedAtStart: the daemon is killed (SIGKILL) while a
// volumes backup has the app stopped; the container stays stopped. The
// next daemon start, with no backup due for a year, starts it at once
// from the stop journal.
func TestDaemonKill9HealedAtStart(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("k9", map[string]string{appplan.LabelBackup: "true"})
	id := touchingApp(t, f, vol, "k9")
	started, _ := f.Times(id)
	d := newVolumesDaemon(f)
	p := d.start(`"*/2 * * * * *"`)

	f.waitStoppedByDrydock(id, started, p.exited)
	p.signal(syscall.SIGKILL)
	p.wait(time.Minute)
	// Nothing can be waited for here: the test checks that nothing
	// happens, for as long as a drydock would take to start it.
	time.Sleep(time.Second)
	if f.Running(id) {
		t.Fatal("container runs again without anyone starting it: the kill came too late to test anything")
	}
	if !f.journaled(vol) {
		t.Fatalf("no stop journal entry for app %s after the kill", vol)
	}

	p2 := d.start(`"@yearly"`)
	if !testenv.Eventually(time.Minute, 100*time.Millisecond, func() bool { return f.Running(id) }) {
		t.Fatalf("the restarted daemon did not start the container:\n%s", p2.stderr())
	}
	p2.waitStatus(f.c, "the restarted daemon to be ready", func(*orchestrate.Status) bool { return true })
	p2.signal(syscall.SIGTERM)
	if code := p2.wait(time.Minute); code != 0 {
		t.Errorf("exit %d", code)
	}
	if f.journaled(vol) {
		t.Errorf("stop journal not cleared: %v", vol)
	}
}

// TestDaemonFrozenMetric: an app frozen with drydock.stop=pause shows its
// frozen time in /status and as drydock_app_frozen_seconds.
func TestDaemonFrozenMetric(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("frz", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "frz", Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelStop: appplan.StopPause}})
	d := newVolumesDaemon(f)
	p := d.start(`"*/2 * * * * *"`)
	p.waitStatus(f.c, "a backup with a frozen app", func(st *orchestrate.Status) bool {
		for _, j := range st.Jobs {
			if j.LastRun != nil && len(j.LastRun.Apps) == 1 && j.LastRun.Apps[0].FrozenSeconds > 0 {
				return true
			}
		}
		return false
	})
	metrics := httpGet(t, "http://"+d.addr+"/metrics")
	line := grepMetric(metrics, `drydock_app_frozen_seconds{app="`+vol+`",job="apps"}`)
	if line == "" || strings.HasSuffix(line, " 0") {
		t.Errorf("frozen metric: %q\n%s", line, grepMetric(metrics, "frozen"))
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Errorf("daemon exit %d", code)
	}
}
