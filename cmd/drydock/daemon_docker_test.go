package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/dockertest"
	"github.com/drydock-backup/drydock/internal/miniotest"
	"github.com/drydock-backup/drydock/internal/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/volume"
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
    schedule: "*/2 * * * * *"
    volumes: {}
`

// TestDaemonSIGTERMWhileAppStopped: SIGTERM reaches the daemon while a
// scheduled volumes backup has the app's container stopped. The daemon
// starts the container again, releases its locks and exits 0; the stop
// journal is empty and the repository is clean.
func TestDaemonSIGTERMWhileAppStopped(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	vol := f.Volume("dmn", map[string]string{volume.LabelBackup: "true"})
	seed(t, f.mountpoint(vol), 10, 7)
	id := f.Container(dockertest.Spec{Name: "dmn", Mounts: []string{vol + ":/data"}})

	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, []byte(f.c.env["RESTIC_PASSWORD"]+"\n"))
	state := filepath.Join(dir, "state")
	addr := miniotest.ClosedAddr(t)
	cfgFile := filepath.Join(dir, "drydock.yaml")
	writeFile(t, cfgFile, []byte(strings.NewReplacer("STATE", state, "ADDR", addr, "REPO", f.c.env["RESTIC_REPOSITORY"], "PW", pw).Replace(volumeJobConfig)))
	p := startDaemonProc(t, f.c, cfgFile, addr)

	// Watch the container: the moment the daemon has it stopped, signal.
	caught := false
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline) && !caught; {
		ins, err := f.Cli.ContainerInspect(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !ins.State.Running {
			p.signal(syscall.SIGTERM)
			caught = true
		}
		select {
		case err := <-p.done:
			t.Fatalf("daemon exited early: %v", err)
		default:
		}
	}
	if !caught {
		t.Fatalf("the daemon never stopped the container within 90s:\n%s", p.stderr())
	}
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if !f.Running(id) {
		t.Errorf("container not running after the daemon stopped")
	}
	if _, err := os.Stat(filepath.Join(state, volume.JournalFile)); !os.IsNotExist(err) {
		t.Errorf("stop journal left behind: %v", err)
	}
	if locks := strings.TrimSpace(f.c.mustRestic(resticBin, "list", "locks")); locks != "" {
		t.Errorf("locks left behind: %s", locks)
	}
	if out := f.c.mustRestic(resticBin, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
	t.Logf("daemon log:\n%s", p.stderr())
}

// TestDaemonKill9HealedAtStart: the daemon is killed (SIGKILL) while a
// volumes backup has the app stopped; the container stays stopped. The
// next daemon start, with no backup due for a year, starts it at once
// from the stop journal.
func TestDaemonKill9HealedAtStart(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("k9", map[string]string{volume.LabelBackup: "true"})
	seed(t, f.mountpoint(vol), 10, 9)
	id := f.Container(dockertest.Spec{Name: "k9", Mounts: []string{vol + ":/data"}})

	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, []byte(f.c.env["RESTIC_PASSWORD"]+"\n"))
	state := filepath.Join(dir, "state")
	addr := miniotest.ClosedAddr(t)
	cfgFile := filepath.Join(dir, "drydock.yaml")
	writeConfig := func(schedule string) {
		writeFile(t, cfgFile, []byte(strings.NewReplacer("STATE", state, "ADDR", addr, "REPO", f.c.env["RESTIC_REPOSITORY"],
			"PW", pw, `"*/2 * * * * *"`, schedule).Replace(volumeJobConfig)))
	}
	writeConfig(`"*/2 * * * * *"`)
	p := startDaemonProc(t, f.c, cfgFile, addr)
	killed := false
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline) && !killed; {
		ins, err := f.Cli.ContainerInspect(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !ins.State.Running {
			p.signal(syscall.SIGKILL)
			killed = true
		}
	}
	if !killed {
		t.Fatalf("the daemon never stopped the container within 90s:\n%s", p.stderr())
	}
	p.wait(time.Minute)
	time.Sleep(time.Second) // nobody is left to start it
	if f.Running(id) {
		t.Fatal("container runs again without anyone starting it: the kill came too late to test anything")
	}
	if _, err := os.Stat(filepath.Join(state, volume.JournalFile)); err != nil {
		t.Fatalf("no stop journal after the kill: %v", err)
	}

	writeConfig(`"@yearly"`)
	p2 := startDaemonProc(t, f.c, cfgFile, addr)
	for deadline := time.Now().Add(time.Minute); !f.Running(id); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted daemon did not start the container:\n%s", p2.stderr())
		}
	}
	p2.waitStatus(f.c, "the restarted daemon to be ready", func(*orchestrate.Status) bool { return true })
	p2.signal(syscall.SIGTERM)
	if code := p2.wait(time.Minute); code != 0 {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(state, volume.JournalFile)); !os.IsNotExist(err) {
		t.Errorf("stop journal not cleared: %v", err)
	}
}
