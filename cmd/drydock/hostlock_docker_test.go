package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// journaled tells whether a stop journal, beside the host lock or (from an
// older drydock) in the fixture's state directory, has an entry for app.
// Other drydocks on the engine may journal their own apps at the same
// time: only app's entry counts.
func (f *volFixture) journaled(app string) bool {
	f.t.Helper()
	paths := []string{filepath.Join(f.c.env["XDG_STATE_HOME"], "drydock", volume.JournalFile)}
	if v, err := f.Cli.VolumeInspect(f.t.Context(), volume.HostLockVolume); err == nil {
		paths = append(paths, filepath.Join(v.Mountpoint, volume.JournalFile))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			f.t.Fatal(err)
		}
		var j struct {
			Apps map[string]json.RawMessage `json:"apps"`
		}
		if err := json.Unmarshal(b, &j); err != nil {
			f.t.Fatalf("stop journal %s: %v\n%s", p, err, b)
		}
		if _, ok := j.Apps[app]; ok {
			return true
		}
	}
	return false
}

// backupProc is a `drydock volumes backup` process of the built binary.
type backupProc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	exited         chan struct{}
}

// startBackup starts the binary on app with the fixture's repository and
// the state directory stateHome/drydock.
func (f *volFixture) startBackup(stateHome string, args ...string) *backupProc {
	f.t.Helper()
	p := &backupProc{exited: make(chan struct{})}
	p.cmd = exec.Command(drydockBinary(f.t), waitingForHostLock(append([]string{"volumes", "backup", "--json"}, args...))...)
	p.cmd.Env = append(os.Environ(), f.c.environ()...)
	p.cmd.Env = append(p.cmd.Env, "XDG_STATE_HOME="+stateHome)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	must(f.t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	f.t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *backupProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(3 * time.Minute):
		t.Fatalf("drydock did not exit within 3 minutes\n%s", p.stderr.String())
	}
	t.Logf("drydock (pid %d): exit %d\n%s%s", p.cmd.Process.Pid, p.cmd.ProcessState.ExitCode(), p.stdout.String(), p.stderr.String())
	return p.cmd.ProcessState.ExitCode()
}

// heldByAnother tells whether every proc was refused the host lock by a
// holder that is none of them.
func heldByAnother(procs []*backupProc) bool {
	for _, p := range procs {
		msg := p.stderr.String()
		if !strings.Contains(msg, "holds the host lock") {
			return false
		}
		for _, q := range procs {
			if strings.Contains(msg, fmt.Sprintf("pid %d on host ", q.cmd.Process.Pid)) {
				return false
			}
		}
	}
	return true
}

// TestVolumesHostLockAcrossStateDirs: two volumes backups of the same app
// at once, each with its own state directory (as the host CLI and the
// agent container have). Exactly one stops the app; the other fails at
// once, naming the holder; every container runs at the end.
func TestVolumesHostLockAcrossStateDirs(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("hostlock", map[string]string{appplan.LabelBackup: "true"})
	id := touchingApp(t, f, vol, "hostlock")
	homes := []string{t.TempDir(), t.TempDir()}
	var procs []*backupProc
	var codes []int
	// Another package's test may hold the host lock as both start: then
	// both fail naming it, and the race is run again once it is free.
	for attempt := 0; ; attempt++ {
		procs = []*backupProc{f.startBackup(homes[0], "--lock-wait", "0", vol), f.startBackup(homes[1], "--lock-wait", "0", vol)}
		codes = []int{procs[0].wait(t), procs[1].wait(t)}
		if slices.Contains(codes, 0) || attempt == 10 || !heldByAnother(procs) {
			break
		}
		time.Sleep(time.Second) // a real process elsewhere holds the lock
	}

	winner := slices.Index(codes, 0)
	if winner < 0 || codes[1-winner] != exitFailure {
		t.Fatalf("exit codes %v: want one 0 and one %d", codes, exitFailure)
	}
	var rep backupJSON
	if err := json.Unmarshal(procs[winner].stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if app := rep.app(t, vol); !slices.Equal(app.Stopped, []string{f.Name("hostlock")}) || app.SnapshotID == "" {
		t.Errorf("the winner did not stop and back up the app: %+v", app)
	}
	lost := procs[1-winner]
	holder := fmt.Sprintf("pid %d on host ", procs[winner].cmd.Process.Pid)
	if msg := lost.stderr.String(); !strings.Contains(msg, "another drydock volumes command holds the host lock") ||
		!strings.Contains(msg, holder) || !strings.Contains(msg, filepath.Join(homes[winner], "drydock")) {
		t.Errorf("the loser's message does not name the holder (%q, state directory %s):\n%s", holder, homes[winner], msg)
	}
	if strings.Contains(lost.stdout.String(), `"stopped"`) {
		t.Errorf("the loser stopped something:\n%s", lost.stdout.String())
	}
	if !f.Running(id) {
		t.Error("the app's container is not running")
	}
	f.assertNoLeftovers(vol)
}

// TestVolumesHostLockKill9: a volumes backup is killed (SIGKILL) while it
// has the app stopped. The kernel released its host lock, and the next
// backup, with another state directory, takes it at once and starts the
// container the dead one stopped (the journal is beside the lock, not in
// the dead one's state directory).
func TestVolumesHostLockKill9(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("hlkill", map[string]string{appplan.LabelBackup: "true"})
	id := touchingApp(t, f, vol, "hlkill")
	started, _ := f.Times(id)
	p := f.startBackup(t.TempDir(), vol)
	f.waitStoppedByDrydock(id, started, p.exited)
	must(t, p.cmd.Process.Signal(syscall.SIGKILL))
	p.wait(t)
	if !f.journaled(vol) {
		t.Fatal("no stop journal entry after the kill")
	}

	f.c.env["XDG_STATE_HOME"] = t.TempDir() // another drydock
	_, errOut, code := f.c.runVolumes("backup", "--lock-wait", "0", vol)
	if code != 0 || !strings.Contains(errOut, "started container "+f.Name("hlkill")+", left stopped by an earlier drydock run") {
		t.Errorf("exit %d: the next run did not take the lock and start the container:\n%s", code, errOut)
	}
	if !f.Running(id) {
		t.Error("the container the killed run stopped is not running")
	}
	if f.journaled(vol) {
		t.Error("stop journal not cleared")
	}
	// ls lists every volume, skipped ones too, but never drydock's own.
	if out, _, code := f.c.runVolumes("ls"); code != 0 || strings.Contains(out, volume.HostLockVolume) {
		t.Errorf("volumes ls: exit %d, lists %s:\n%s", code, volume.HostLockVolume, out)
	}
}
