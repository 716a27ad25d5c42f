package orchestrate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// awaitOperation polls the console until operation op has ended.
func awaitOperation(t *testing.T, td *testDaemon, state string, op oplog.Operation) oplog.Operation {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for op.Status == oplog.Running && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond) // a real restore of real containers
		code, b := consoleAPI(t, td, state, "GET", "/api/v1/operations/"+op.ID)
		if code != http.StatusOK || json.Unmarshal(b, &op) != nil {
			t.Fatalf("GET operation: %d %s", code, b)
		}
	}
	return op
}

// postRestore confirms the restore at path (apprestore with its query)
// and waits for its operation.
func postRestore(t *testing.T, td *testDaemon, state, path string) oplog.Operation {
	t.Helper()
	code, b := consoleAPI(t, td, state, "POST", "/api/v1"+path)
	var op oplog.Operation
	if code != http.StatusAccepted || json.Unmarshal(b, &op) != nil || op.Kind != "restore" {
		t.Fatalf("POST %s: %d %s", path, code, b)
	}
	return awaitOperation(t, td, state, op)
}

// TestDaemonConsoleVolumeRestoreAndRecreate: from the console, a volume
// restore brings back one volume's content and runs its container again;
// with the app's container and volume gone, the plan of a restore with
// recreate says both are created from the snapshot's definition, and the
// confirmed restore creates them, with the snapshot's content, running.
func TestDaemonConsoleVolumeRestoreAndRecreate(t *testing.T) {
	env := dockertest.New(t)
	app := env.Name("crv")
	vol := env.Volume("crvdata", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: app})
	mp, err := env.Cli.VolumeInspect(t.Context(), vol)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(mp.Mountpoint, "data.txt")
	if err := os.WriteFile(file, []byte("as backed up"), 0o644); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{appplan.ComposeProject: env.Name("crvproj"), appplan.ComposeService: "app", appplan.ComposeContainerNumber: "1"}
	id := env.Container(dockertest.Spec{Name: "crv-app", Mounts: []string{vol + ":/data"}, Cmd: []string{"run"}, Labels: labels})
	name := env.Name("crv-app")

	state := t.TempDir()
	td := startDaemon(t, fill(consoleVolumesJob, "STATE", state, "SHOP", app), nil)
	if code, b := consoleAPI(t, td, state, "POST", "/api/v1/jobs/apps/run"); code != http.StatusAccepted {
		t.Fatalf("POST run: %d %s", code, b)
	}
	td.waitFor("the backup", 2*time.Minute, func(st orchestrate.Status) bool { return job(st, "apps", "backup").Runs == 1 })
	var sns []struct{ ID string }
	if code, b := consoleAPI(t, td, state, "GET", "/api/v1/repositories/local/snapshots"); code != http.StatusOK || json.Unmarshal(b, &sns) != nil || len(sns) != 1 {
		t.Fatalf("GET snapshots: %d %s", code, b)
	}
	base := "/repositories/local/snapshots/" + sns[0].ID + "/apprestore"

	// The volume alone.
	if err := os.WriteFile(file, []byte("changed since"), 0o644); err != nil {
		t.Fatal(err)
	}
	if op := postRestore(t, td, state, base+"?volume="+vol); op.Status != oplog.Success {
		t.Fatalf("the volume's restore: %+v", op)
	}
	if got, _ := os.ReadFile(file); string(got) != "as backed up" || !env.Running(id) {
		t.Errorf("after the volume's restore: data.txt %q, container running %v", got, env.Running(id))
	}

	// The app, gone from the host, recreated.
	if err := env.Cli.ContainerRemove(t.Context(), id, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	env.Forget(id)
	if err := env.Cli.VolumeRemove(t.Context(), vol, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // what the restore creates is not env's
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("remove %s: %v", name, err)
		}
		if err := env.Cli.VolumeRemove(ctx, vol, true); err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("remove %s: %v", vol, err)
		}
	})
	var p consolePlan
	code, b := consoleAPI(t, td, state, "GET", "/api/v1"+base+"?app="+app+"&recreate=on")
	if code != http.StatusOK || json.Unmarshal(b, &p) != nil || !p.OK {
		t.Fatalf("plan with recreate: %d %s", code, b)
	}
	if len(p.Containers) != 1 || p.Containers[0].Name != name || p.Containers[0].Action != apprestore.WillCreate ||
		len(p.Volumes) != 1 || p.Volumes[0].Name != vol || p.Volumes[0].Action != apprestore.WillCreate {
		t.Errorf("plan with recreate: containers %+v, volumes %+v; want %s and %s created", p.Containers, p.Volumes, name, vol)
	}
	if _, err := env.Cli.ContainerInspect(t.Context(), name); !cerrdefs.IsNotFound(err) {
		t.Errorf("the plan created container %s: %v", name, err)
	}
	if op := postRestore(t, td, state, base+"?app="+app+"&recreate=on"); op.Status != oplog.Success {
		t.Fatalf("the restore with recreate: %+v", op)
	}
	c, err := env.Cli.ContainerInspect(t.Context(), name)
	if err != nil || c.State == nil || !c.State.Running {
		t.Fatalf("container %s after the restore with recreate: %v %+v", name, err, c.State)
	}
	mp, err = env.Cli.VolumeInspect(t.Context(), vol)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(mp.Mountpoint, "data.txt")); string(got) != "as backed up" {
		t.Errorf("data.txt in the recreated volume: %q", got)
	}
}
