package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestVolumesRestoreKilledWhileStaging kills (SIGKILL) a real drydock
// restore while it stages a volume's data beside it: its staging
// directory stays, and the next command's start removes it, once a
// backup's, once a restore's (which then restores the volume).
func TestVolumesRestoreKilledWhileStaging(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("killstage", map[string]string{appplan.LabelBackup: "true"})
	mp := f.mountpoint(vol)
	writeRandomFiles(t, mp, 48, 2<<20)
	id := f.Container(dockertest.Spec{Name: "killstage", Mounts: []string{vol + ":/data"}})
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", vol)
	snap := b.app(t, vol).SnapshotID
	journals := filepath.Join(f.c.env["XDG_STATE_HOME"], "drydock", "restores")

	for _, next := range [][]string{{"backup", vol}, {"restore", snap, vol}} {
		staging := killWhileStaging(t, f, snap, vol, mp)
		if left, err := os.ReadDir(journals); err != nil || len(left) != 1 {
			t.Errorf("journals of the killed restore: %v, %v", left, err)
		}
		_, stderr, code := f.c.runVolumes(next...)
		if code != 0 {
			t.Fatalf("%v after the kill: exit %d", next, code)
		}
		if _, err := os.Lstat(staging); !os.IsNotExist(err) {
			t.Errorf("%v left the killed restore's staging directory %s: %v", next, staging, err)
		}
		if !strings.Contains(stderr, staging) {
			t.Errorf("%v did not say it removed %s:\n%s", next, staging, stderr)
		}
		assertOnlyData(t, mp)
		if left, _ := os.ReadDir(journals); len(left) != 0 {
			t.Errorf("journals left after %v: %v", next, left)
		}
		if !f.Running(id) {
			t.Fatalf("container not running after %v", next)
		}
	}
}

// killWhileStaging starts `drydock volumes restore snap vol`, polls until
// its staging directory exists beside mp, kills it with SIGKILL, and
// returns the staging directory, which must still be there.
func killWhileStaging(t *testing.T, f *volFixture, snap, vol, mp string) string {
	t.Helper()
	cmd := exec.Command(drydockBinary(t), waitingForHostLock([]string{"volumes", "restore", snap, vol})...)
	cmd.Env = append(os.Environ(), f.c.environ()...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	must(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	staging := ""
	// Polled fast: the staging directory is there only while the restore
	// writes it.
	if !testenv.Eventually(2*time.Minute, 2*time.Millisecond, func() bool {
		select {
		case <-exited:
			t.Fatalf("drydock exited before it staged anything:\n%s", out)
		default:
		}
		entries, _ := os.ReadDir(filepath.Dir(mp))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".drydock-restore-") {
				staging = filepath.Join(filepath.Dir(mp), e.Name())
			}
		}
		return staging != ""
	}) {
		t.Fatalf("no staging directory beside %s after 2 minutes", mp)
	}
	must(t, cmd.Process.Kill())
	<-exited
	if _, err := os.Stat(staging); err != nil {
		t.Fatalf("staging directory of the killed restore: %v\n%s", err, out)
	}
	return staging
}

// TestVolumesRestoreStartFails: when the app cannot start again after the
// swap (a bind mount's source went away), the restore fails, and says
// that the volume holds the restored data, not that nothing was
// restored; the old data is not left beside it.
func TestVolumesRestoreStartFails(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("startfails", map[string]string{appplan.LabelBackup: "true"})
	mp := f.mountpoint(vol)
	seeded := seed(t, mp, 3, 51)
	bind := filepath.Join(t.TempDir(), "bind")
	must(t, os.Mkdir(bind, 0o755))
	id := f.Container(dockertest.Spec{Name: "startfails", Mounts: []string{vol + ":/data", bind + ":/bind"}})
	f.c.mustVolumesJSON(&backupJSON{}, "backup", vol)
	want, _ := snapshotOf(t, mp)
	bringBack := func() {
		_ = os.Rename(bind+".gone", bind)
		_ = f.Cli.ContainerStart(context.Background(), id, container.StartOptions{})
	}
	t.Cleanup(bringBack)

	for _, args := range [][]string{{"restore", "latest", vol}, {"restore", "--app", vol}} {
		bringBack()
		if !f.Running(id) {
			t.Fatal("container not running before the restore")
		}
		must(t, os.Rename(bind, bind+".gone"))
		writeFile(t, filepath.Join(mp, seeded[0]), []byte("changed after the backup"))
		stdout, stderr, code := f.c.runVolumes(args...)
		if code != 1 || strings.Contains(stdout+stderr, "NOT restored") || !strings.Contains(stderr, "holds the restored data") {
			t.Errorf("%v: exit %d, want 1 saying the data is restored:\n%s%s", args, code, stdout, stderr)
		}
		if args[1] == "--app" && !strings.Contains(stdout, ": restored, but") {
			t.Errorf("%v: %s", args, stdout)
		}
		got, _ := snapshotOf(t, mp)
		for rel, data := range want {
			if string(got[rel]) != string(data) {
				t.Errorf("%v: %s not restored", args, rel)
			}
		}
		assertOnlyData(t, mp)
	}
}
