package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestVolumesSIGTERMWhileStopped sends SIGTERM to a real drydock process
// while the app's container is stopped for the final pass. The container
// keeps touching 96 MiB of data while it runs, so the final pass has to
// read all of it again: it lasts long enough for the test to see the
// container stopped and signal at once. drydock must start the container,
// release the repository lock, leave the stop journal empty and exit with
// 130; the repository must pass restic's check.
func TestVolumesSIGTERMWhileStopped(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	vol := f.Volume("sigterm", map[string]string{appplan.LabelBackup: "true"})
	writeRandomFiles(t, f.mountpoint(vol), 48, 2<<20)
	id := f.Container(dockertest.Spec{Name: "sigterm", Mounts: []string{vol + ":/data"},
		Cmd: []string{"run", "-dir", "/data", "-interval", "100ms", "-touch"}})
	startedBefore, _ := f.Times(id)

	d := startDrydock(t, f.c.environ(), "volumes", "backup", "--json", vol)

	f.waitStoppedByDrydock(id, startedBefore, d.exited)
	must(t, d.cmd.Process.Signal(syscall.SIGTERM))
	signalled := time.Now()
	select {
	case <-d.exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("drydock did not exit within 2 minutes of SIGTERM\n%s", d.stderr.String())
	}
	t.Logf("drydock: exit %d after %s\n%s%s", d.cmd.ProcessState.ExitCode(), time.Since(signalled), d.stdout.String(), d.stderr.String())

	if code := d.cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit code %d, want %d", code, exitInterrupted)
	}
	// The signal landed in the stopped phase: the final pass was cut short
	// (no snapshot) and the container started again only after it.
	var rep backupJSON
	if err := json.Unmarshal(d.stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	app := rep.app(t, vol)
	if app.SnapshotID != "" || !strings.Contains(app.Error, "final pass") || !strings.Contains(app.Error, "context canceled") ||
		!slices.Equal(app.Stopped, []string{f.Name("sigterm")}) {
		t.Errorf("the final pass was not interrupted by the signal: %+v", app)
	}
	if !f.Running(id) {
		t.Fatal("the container drydock stopped is not running")
	}
	if started, _ := f.Times(id); started.Before(signalled) {
		t.Errorf("container started at %s, before the signal at %s: the signal came after the stopped phase", started, signalled)
	}
	f.assertNoLeftovers(vol)
	if out := f.c.mustRestic(resticBin, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}

// waitStoppedByDrydock polls Docker until the container is no longer
// running, having run since started (so drydock stopped it), and fails if
// drydock exits first or this takes minutes.
func (f *volFixture) waitStoppedByDrydock(id string, started time.Time, exited <-chan struct{}) {
	f.t.Helper()
	// Polled fast: the container is down only for the final pass.
	if !testenv.Eventually(3*time.Minute, 10*time.Millisecond, func() bool {
		select {
		case <-exited:
			f.t.Fatal("drydock exited before it stopped the container")
		default:
		}
		ins := f.Inspect(id)
		if ins.State.Running {
			return false
		}
		if s, _ := time.Parse(time.RFC3339Nano, ins.State.StartedAt); !s.Equal(started) {
			f.t.Fatalf("container restarted (%s, was %s) before it was seen stopped", s, started)
		}
		return true
	}) {
		f.t.Fatal("drydock did not stop the container within 3 minutes")
	}
}

// assertNoLeftovers checks that the repository holds no lock and that the
// stop journal has no entry for app.
func (f *volFixture) assertNoLeftovers(app string) {
	f.t.Helper()
	locks, err := os.ReadDir(filepath.Join(f.c.env["RESTIC_REPOSITORY"], "locks"))
	if err != nil || len(locks) != 0 {
		f.t.Errorf("repository locks left behind: %v (%v)", locks, err)
	}
	if f.journaled(app) {
		f.t.Errorf("stop journal not cleared: %s", app)
	}
}
