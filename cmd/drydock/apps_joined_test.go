package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
)

// TestAppRestoreJoinedNamespaces: an app whose sidecar joins db's network,
// PID and IPC namespaces (named by db's ID, as compose does) is recreated
// on a host that lost it: db first, the sidecar joined to the new db; and
// a drill's copy of the sidecar joins the drill's copy of db, never the
// real db.
func TestAppRestoreJoinedNamespaces(t *testing.T) {
	f := newVolFixture(t)
	app := f.Name("ajn")
	vol := f.Volume("ajn", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: app})
	db := f.Container(dockertest.Spec{Name: "ajn-db", Mounts: []string{vol + ":/data"}, Health: true, IpcMode: "shareable"})
	side := f.Container(dockertest.Spec{Name: "ajn-side", NetworkMode: "container:" + db, PidMode: "container:" + db, IpcMode: "container:" + db,
		Labels: map[string]string{appplan.LabelVerify: `["/testapp","sleep","2s"]`}})
	dbName, sideName := f.Name("ajn-db"), f.Name("ajn-side")
	f.c.mustVolumesJSON(&backupJSON{}, "backup", app)
	for _, id := range []string{side, db} {
		f.Forget(id)
		must(t, f.Cli.ContainerRemove(t.Context(), id, container.RemoveOptions{Force: true}))
	}
	must(t, f.Cli.VolumeRemove(t.Context(), vol, true))

	t.Cleanup(func() { removeByName(t, f, []string{sideName, dbName}, []string{vol}) })
	out, errOut, code := f.c.runVolumes("restore", "--json", "--app", app, "--recreate")
	t.Logf("restore --recreate: exit %d\n%s%s", code, out, errOut)
	var rep apprestore.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("restore --recreate: exit %d, %v", code, err)
	}
	newDB := f.Inspect(dbName)
	sideIns := f.Inspect(sideName)
	if !newDB.State.Running || !sideIns.State.Running {
		t.Errorf("db running %v, side running %v", newDB.State.Running, sideIns.State.Running)
	}
	joins := func(mode string) bool {
		target, ok := strings.CutPrefix(mode, "container:")
		return ok && (target == dbName || target == newDB.ID)
	}
	hc := sideIns.HostConfig
	if !joins(string(hc.NetworkMode)) || !joins(string(hc.PidMode)) || !joins(string(hc.IpcMode)) {
		t.Errorf("side's modes: network %s, pid %s, ipc %s; want container:%s", hc.NetworkMode, hc.PidMode, hc.IpcMode, dbName)
	}

	// A drill, while the recreated app runs: the sidecar's copy, watched
	// while its verify command runs, joins db's copy.
	done := make(chan struct{})
	var dOut, dErr string
	var dCode int
	go func() { dOut, dErr, dCode = f.c.run("verify", "--json", "--app", app, "--boot"); close(done) }()
	copyOf := func(name string) (container.InspectResponse, bool) {
		args := filters.NewArgs(filters.Arg("label", appplan.LabelDrillOf+"="+name))
		cs, err := f.Cli.ContainerList(t.Context(), container.ListOptions{Filters: args})
		if err != nil || len(cs) != 1 {
			return container.InspectResponse{}, false
		}
		ins, err := f.Cli.ContainerInspect(t.Context(), cs[0].ID)
		return ins, err == nil
	}
	var sideCopy, dbCopy container.InspectResponse
	if !testenv.Eventually(3*time.Minute, 50*time.Millisecond, func() bool {
		select {
		case <-done:
			t.Fatalf("the drill ended before its copies were seen: exit %d\n%s%s", dCode, dOut, dErr)
		default:
		}
		var ok1, ok2 bool
		sideCopy, ok1 = copyOf(sideName)
		dbCopy, ok2 = copyOf(dbName)
		return ok1 && ok2
	}) {
		t.Fatal("the drill's copies were not seen within 3 minutes")
	}
	<-done
	t.Logf("verify --boot: exit %d\n%s%s", dCode, dOut, dErr)
	if dCode != 0 || !strings.Contains(dOut, `"passed":true`) {
		t.Errorf("drill: exit %d", dCode)
	}
	dbCopyName := strings.TrimPrefix(dbCopy.Name, "/")
	for what, mode := range map[string]string{"network": string(sideCopy.HostConfig.NetworkMode), "pid": string(sideCopy.HostConfig.PidMode), "ipc": string(sideCopy.HostConfig.IpcMode)} {
		if target, _ := strings.CutPrefix(mode, "container:"); target != dbCopyName && target != dbCopy.ID {
			t.Errorf("the sidecar's copy has %s mode %q, want container:%s (db's copy)", what, mode, dbCopyName)
		}
	}
	assertNoDrillLeft(t, f)
}
