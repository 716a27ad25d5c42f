package volume_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// Environment of the helper process of TestDockerKill9ThenRecover.
const (
	helperState = "DRYDOCK_TEST_HELPER_STATE"
	helperVol   = "DRYDOCK_TEST_HELPER_VOLUME"
)

// TestHelperStopAndHang is not a test: TestDockerKill9ThenRecover runs the
// test binary again with it selected, as a drydock process that stops an
// app and is then killed with SIGKILL.
func TestHelperStopAndHang(t *testing.T) {
	state, vol := os.Getenv(helperState), os.Getenv(helperVol)
	if state == "" {
		t.Skip("helper process for TestDockerKill9ThenRecover")
	}
	m, err := volume.New(volume.Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p.Apps {
		if len(a.Volumes) == 1 && a.Volumes[0].Name == vol {
			if _, err := m.Stop(t.Context(), p, a); err != nil {
				t.Fatal(err)
			}
			fmt.Println("STOPPED")
			select {} // until killed; the undo never runs
		}
	}
	t.Fatalf("no app for %s", vol)
}

func TestDockerKill9ThenRecover(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Health: true})
	web := f.Container(dockertest.Spec{Name: "web", NetworkMode: "container:" + db})

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStopAndHang$", "-test.v")
	cmd.Env = append(os.Environ(), helperState+"="+f.state, helperVol+"="+vol)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "STOPPED" {
				ok = true
				break
			}
		}
		stopped <- ok
	}()
	select {
	case ok := <-stopped:
		if !ok {
			_ = cmd.Wait()
			t.Fatal("helper exited without stopping the app")
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("helper did not stop the app in time")
	}
	if err := cmd.Process.Kill(); err != nil { // kill -9
		t.Fatal(err)
	}
	_ = cmd.Wait()

	if f.Running(db) || f.Running(web) {
		t.Fatal("the app was not left stopped by the killed process")
	}
	if _, err := os.Stat(filepath.Join(f.state, volume.JournalFile)); err != nil {
		t.Fatalf("no journal left by the killed process: %v", err)
	}
	started, err := f.m.Recover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 2 || started[0].ID != db || started[1].ID != web {
		t.Errorf("recover started %v, want db then web", started)
	}
	f.assertOrder(map[string]string{"db": db, "web": web}, [][2]string{{"web", "db"}})
	f.assertJournalCleared()
}

// TestDockerRecoverGoneContainer: a container an earlier run stopped and
// that was removed since (by hand, or compose down) has nothing to start:
// Recover says so, clears its entry and starts the rest of the app,
// instead of failing every later run on the engine for it.
func TestDockerRecoverGoneContainer(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	kept := f.Container(dockertest.Spec{Name: "kept", Mounts: []string{vol + ":/data"}})
	if err := f.Cli.ContainerStop(t.Context(), kept, container.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	// The ID of a container removed since: no container has it.
	gone := strings.Repeat("0d", 32)
	j := fmt.Sprintf(`{"version":1,"apps":{"app":{"since":"2026-01-02T03:04:05Z","containers":[{"id":%q,"name":"kept"},{"id":%q,"name":"gone"}]}}}`, kept, gone)
	if err := os.WriteFile(filepath.Join(f.state, volume.JournalFile), []byte(j), 0o600); err != nil {
		t.Fatal(err)
	}
	started, err := f.m.Recover(t.Context())
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if len(started) != 1 || started[0].ID != kept {
		t.Errorf("recover started %v, want only the container that still exists", started)
	}
	if !f.Running(kept) {
		t.Error("the container that still exists was not started")
	}
	f.assertJournalCleared()
}
