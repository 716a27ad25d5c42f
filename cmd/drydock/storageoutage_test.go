package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/location"
)

// TestAppDownStorageOutage: the repository's server (sshd) goes away as
// the app is stopped for its final pass. The final pass gives up within a
// few seconds instead of riding out the retry window with the app down:
// the app runs again at once, its backup fails naming the storage error,
// and the next run, with the server back, succeeds.
func TestAppDownStorageOutage(t *testing.T) {
	srv := sshtest.Start(t)
	env := dockertest.New(t)
	env.CheckRunning = true
	c := newCLI(t, "sftp://"+srv.User+"@"+srv.Addr()+"/outage")
	c.env[location.EnvSFTPKeyFile] = srv.KeyFile
	c.env[location.EnvSFTPKnownHostsFile] = srv.KnownHostsFile
	c.env["XDG_STATE_HOME"] = t.TempDir()
	c.must("init")
	f := &volFixture{Env: env, t: t, c: c}
	vol := f.Volume("outage", map[string]string{appplan.LabelBackup: "true"})
	seed(t, f.mountpoint(vol), 10, 4)
	id := f.Container(dockertest.Spec{Name: "outage", Mounts: []string{vol + ":/data"}})
	signals := stopSignals(t, f, id)

	// A retry window far longer than the bound asserted below.
	d := startDrydock(t, c.environ(), "--retry-max", "45s", "volumes", "backup", "--json", vol)

	waitStopBegins(t, signals, d.exited)
	begun := time.Now()
	srv.Stop(t)
	// The stop itself is Docker's.
	if !testenv.Eventually(3*time.Minute, 50*time.Millisecond, func() bool { return !f.Running(id) }) {
		t.Fatalf("the app was not stopped within 3 minutes\n%s", d.stderr.String())
	}
	if !testenv.Eventually(time.Until(begun.Add(25*time.Second)), 100*time.Millisecond, func() bool { return f.Running(id) }) {
		t.Fatalf("the app is still down %s after its stop, with the storage gone\n%s", time.Since(begun), d.stderr.String())
	}
	down := time.Since(begun)
	select {
	case <-d.exited:
	case <-time.After(3 * time.Minute):
		t.Fatalf("drydock did not exit\n%s", d.stderr.String())
	}
	t.Logf("app down %s; drydock exit %d\n%s%s", down, d.cmd.ProcessState.ExitCode(), d.stdout.String(), d.stderr.String())
	if code := d.cmd.ProcessState.ExitCode(); code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	var rep backupJSON
	if err := json.Unmarshal(d.stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	app := rep.app(t, vol)
	// The read gives up, or it was done and the upload it began fails
	// after the app runs again: either way the storage error is the app's.
	if app.SnapshotID != "" || !strings.Contains(strings.ToLower(app.Error), "connection refused") {
		t.Errorf("app report: snapshot %q, error %q; want no snapshot and the storage error", app.SnapshotID, app.Error)
	}

	srv.Restart(t)
	out, errOut, code := c.run("volumes", "backup", "--json", vol)
	if code != 0 {
		t.Fatalf("backup with the storage back: exit %d\n%s%s", code, out, errOut)
	}
}
