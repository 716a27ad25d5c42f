package orchestrate_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// consolePlan is the plan as GET .../apprestore answers it.
type consolePlan struct {
	OK bool `json:"ok"`
	apprestore.Preview
}

// TestDaemonConsoleAppRestore: the console plans the restore of a backed
// up two-container app (stop order consumer first, start order provider
// first, the snapshot's bytes), shows the plan as a page with a Confirm
// button; a foreign container on a volume makes the confirmed restore 409
// and changes nothing; without it the restore runs as an operation of the
// history, brings back the snapshot's content and runs the app again.
func TestDaemonConsoleAppRestore(t *testing.T) {
	env := dockertest.New(t)
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	app, project := env.Name("crs"), env.Name("crsproj")
	group := map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: app}
	dbVol, webVol := env.Volume("crsdb", group), env.Volume("crsweb", group)
	mountpoint := func(v string) string {
		vol, err := cli.VolumeInspect(t.Context(), v)
		if err != nil {
			t.Fatal(err)
		}
		return vol.Mountpoint
	}
	write := func(vol, name, content string) {
		if err := os.WriteFile(filepath.Join(mountpoint(vol), name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dbVol, "db.txt", "the database as backed up")
	write(webVol, "web.txt", "the site")
	backedUp := uint64(len("the database as backed up") + len("the site"))
	compose := func(service string, extra ...string) map[string]string {
		l := map[string]string{appplan.ComposeProject: project, appplan.ComposeService: service, appplan.ComposeContainerNumber: "1"}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	quiet := []string{"run"} // writes nothing
	db := env.Container(dockertest.Spec{Name: "crs-db", Mounts: []string{dbVol + ":/data"}, Cmd: quiet, Labels: compose("db")})
	web := env.Container(dockertest.Spec{Name: "crs-web", Mounts: []string{webVol + ":/data"}, Cmd: quiet,
		Labels: compose("web", appplan.ComposeDependsOn, "db:service_started:false")})
	dbName, webName := env.Name("crs-db"), env.Name("crs-web")

	state := t.TempDir()
	td := startDaemon(t, fill(consoleVolumesJob, "STATE", state, "SHOP", app), nil)
	if code, b := consoleAPI(t, td, state, "POST", "/api/v1/jobs/apps/run"); code != http.StatusAccepted {
		t.Fatalf("POST run: %d %s", code, b)
	}
	st := td.waitFor("the backup", 2*time.Minute, func(st orchestrate.Status) bool { return job(st, "apps", "backup").Runs == 1 })
	if lr := job(st, "apps", "backup").LastRun; lr == nil || lr.Result != "success" {
		t.Fatalf("the backup: %+v", lr)
	}
	write(dbVol, "db.txt", "changed since")
	write(dbVol, "new.txt", "not in the snapshot")

	var sns []struct{ ID string }
	if code, b := consoleAPI(t, td, state, "GET", "/api/v1/repositories/local/snapshots"); code != http.StatusOK || json.Unmarshal(b, &sns) != nil || len(sns) != 1 {
		t.Fatalf("GET snapshots: %d %s", code, b)
	}
	path := "/repositories/local/snapshots/" + sns[0].ID + "/apprestore?app=" + app
	plan := func() (int, consolePlan) {
		var p consolePlan
		code, b := consoleAPI(t, td, state, "GET", "/api/v1"+path)
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("GET plan: %d %s", code, b)
		}
		return code, p
	}
	code, p := plan()
	var stops []string
	for _, s := range p.Stop {
		stops = append(stops, s.Container)
	}
	if code != http.StatusOK || !p.OK || p.App != app || len(p.Volumes) != 2 {
		t.Fatalf("plan: %d %+v", code, p)
	}
	if want := []string{webName, dbName}; !slices.Equal(stops, want) {
		t.Errorf("stop order %v, want %v (the consumer first)", stops, want)
	}
	if want := []string{dbName, webName}; !slices.Equal(p.Start, want) {
		t.Errorf("start order %v, want %v (the provider first)", p.Start, want)
	}
	if p.Bytes != backedUp || p.Files != 2 {
		t.Errorf("plan: %d files, %d bytes; want 2, %d", p.Files, p.Bytes, backedUp)
	}
	var vp consolePlan
	if code, b := consoleAPI(t, td, state, "GET", "/api/v1/repositories/local/snapshots/"+sns[0].ID+"/apprestore?volume="+webVol); code != http.StatusOK || json.Unmarshal(b, &vp) != nil ||
		!vp.OK || len(vp.Stop) != 1 || vp.Stop[0].Container != webName || !slices.Equal(vp.Start, []string{webName}) || vp.Bytes != uint64(len("the site")) {
		t.Errorf("plan of volume %s: %d %s, want web alone stopped, its bytes", webVol, code, b)
	}
	code, page := consoleAPI(t, td, state, "GET", path)
	for _, want := range []string{"Restore app " + app, dbName, webName, "Confirm: restore app", "Stopped, in this order", "33 B"} {
		if code != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("plan page (%d) lacks %q", code, want)
		}
	}
	if code, tree := consoleAPI(t, td, state, "GET", "/repositories/local/snapshots/"+sns[0].ID+"/tree/"); code != http.StatusOK || !strings.Contains(string(tree), "Restore app "+app) {
		t.Errorf("the snapshot's page (%d) links no plan of app %s", code, app)
	}

	// A running container outside the app on db's volume: refused.
	reader := env.Container(dockertest.Spec{Name: "crs-reader", Mounts: []string{dbVol + ":/data:ro"}, Cmd: quiet,
		Labels: map[string]string{appplan.LabelStop: "false"}})
	code, b := consoleAPI(t, td, state, "POST", "/api/v1"+path)
	var refused struct {
		Failed []apprestore.Check
	}
	if code != http.StatusConflict || json.Unmarshal(b, &refused) != nil || len(refused.Failed) != 1 || refused.Failed[0].Kind != apprestore.KindUnused {
		t.Errorf("POST with a foreign user: %d %s, want 409 naming the unused check", code, b)
	}
	if code, page := consoleAPI(t, td, state, "POST", path); code != http.StatusConflict || !strings.Contains(string(page), env.Name("crs-reader")) {
		t.Errorf("confirm form with a foreign user: %d, want 409 naming it", code)
	}
	if got, _ := os.ReadFile(filepath.Join(mountpoint(dbVol), "db.txt")); string(got) != "changed since" || !env.Running(db) || !env.Running(web) {
		t.Errorf("a refused restore changed the host: db.txt %q, db running %v, web running %v", got, env.Running(db), env.Running(web))
	}
	br := newConsoleBrowser(t, td, state)
	if main := br.refused(path); strings.Contains(main, "Confirm") || !strings.Contains(main, env.Name("crs-reader")) {
		t.Errorf("plan page with a foreign user: a Confirm button, or the user not named:\n%s", main)
	}
	if err := cli.ContainerRemove(t.Context(), reader, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	env.Forget(reader)

	code, b = consoleAPI(t, td, state, "POST", "/api/v1"+path)
	var op oplog.Operation
	if code != http.StatusAccepted || json.Unmarshal(b, &op) != nil || op.Kind != "restore" {
		t.Fatalf("POST restore: %d %s", code, b)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for op.Status == oplog.Running && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond) // a real restore of real containers
		code, b := consoleAPI(t, td, state, "GET", "/api/v1/operations/"+op.ID)
		if code != http.StatusOK || json.Unmarshal(b, &op) != nil {
			t.Fatalf("GET operation: %d %s", code, b)
		}
	}
	if op.Status != oplog.Success || op.Bytes != backedUp {
		t.Fatalf("the restore: %+v", op)
	}
	if got, _ := os.ReadFile(filepath.Join(mountpoint(dbVol), "db.txt")); string(got) != "the database as backed up" {
		t.Errorf("db.txt after the restore: %q", got)
	}
	if _, err := os.Stat(filepath.Join(mountpoint(dbVol), "new.txt")); !os.IsNotExist(err) {
		t.Errorf("new.txt after the restore: %v, want gone", err)
	}
	if !env.Running(db) || !env.Running(web) {
		t.Errorf("after the restore: db running %v, web running %v", env.Running(db), env.Running(web))
	}

	// Again from the browser: the plan page, Confirm, the operation's page.
	write(dbVol, "db.txt", "changed again")
	br.confirm(path)
	if got, _ := os.ReadFile(filepath.Join(mountpoint(dbVol), "db.txt")); string(got) != "the database as backed up" || !env.Running(db) || !env.Running(web) {
		t.Errorf("after the browser's restore: db.txt %q, db running %v, web running %v", got, env.Running(db), env.Running(web))
	}
}
