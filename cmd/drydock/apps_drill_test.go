package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// TestDrillKilled: a drydock killed (SIGKILL) in the middle of a drill
// leaves its copies running; the next drydock start removes them and
// their scratch volumes, and the real app keeps running.
func TestDrillKilled(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "drk", map[string]string{appplan.LabelVerify: `["/testapp","sleep","5m"]`})
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	cmd, exited, out := f.startDrill(a)
	must(t, cmd.Process.Kill())
	<-exited
	args := filters.NewArgs(filters.Arg("label", appplan.LabelDrill))
	if cs, _ := f.Cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: args}); len(cs) != 2 {
		t.Fatalf("after the kill, %d drill containers, want the 2 left behind\n%s", len(cs), out.String())
	}
	_, errOut, code := f.c.runVolumes("backup", a.name)
	if code != 0 || !strings.Contains(errOut, "interrupted restore drills") {
		t.Errorf("the next run: exit %d\n%s", code, errOut)
	}
	assertNoDrillLeft(t, f)
	if !f.Running(a.web) || !f.Running(a.db) {
		t.Error("the real app is not running")
	}
}

// TestDrillSIGTERMAndTimeout: a drill that runs out of time fails, and one
// whose drydock gets SIGTERM exits 130; both remove everything they made
// and leave the real app alone.
func TestDrillSIGTERMAndTimeout(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "drt", map[string]string{appplan.LabelVerify: `["/testapp","sleep","5m"]`})
	f.c.mustVolumesJSON(&backupJSON{}, "backup", a.name)
	webStarted, _ := f.Times(a.web)

	out, errOut, code := f.c.run("verify", "--app", a.name, "--boot", "--boot-timeout", "3s")
	if code != exitFailure || !strings.Contains(errOut, "timed out") {
		t.Errorf("drill past its timeout: exit %d\n%s%s", code, out, errOut)
	}
	assertNoDrillLeft(t, f)

	cmd, exited, buf := f.startDrill(a)
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("drydock did not exit within 2 minutes of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit code %d after SIGTERM, want %d\n%s", code, exitInterrupted, buf.String())
	}
	assertNoDrillLeft(t, f)
	if s, _ := f.Times(a.web); !s.Equal(webStarted) || !f.Running(a.web) {
		t.Error("the drill touched the real app")
	}
}

// startDrill starts `drydock verify --app --boot` as a process and returns
// once the app's drydock.verify command runs in a copy.
func (f *volFixture) startDrill(a *twoTierApp) (*exec.Cmd, <-chan struct{}, *bytes.Buffer) {
	t := f.t
	t.Helper()
	cmd := exec.Command(drydockBinary(t), "verify", "--app", a.name, "--boot")
	cmd.Env = append(os.Environ(), f.c.environ()...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	must(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	args := filters.NewArgs(filters.Arg("label", appplan.LabelDrill))
	if !testenv.Eventually(2*time.Minute, 50*time.Millisecond, func() bool {
		select {
		case <-exited:
			t.Fatalf("drydock exited too early\n%s", out.String())
		default:
		}
		cs, err := f.Cli.ContainerList(t.Context(), container.ListOptions{Filters: args})
		return err == nil && len(cs) == 2 && f.execRunning(cs)
	}) {
		t.Fatalf("the drill's copies did not come up\n%s", out.String())
	}
	return cmd, exited, out
}

// execRunning reports whether an exec (the verify command) runs in one of
// cs.
func (f *volFixture) execRunning(cs []container.Summary) bool {
	for _, c := range cs {
		ins, err := f.Cli.ContainerInspect(f.t.Context(), c.ID)
		if err == nil && len(ins.ExecIDs) > 0 {
			return true
		}
	}
	return false
}

// TestDrillPostgres: a drill of a real PostgreSQL app boots a copy on the
// restored data directory, waits for pg_isready, and runs the app's
// drydock.verify query, which checks the rows at backup time.
func TestDrillPostgres(t *testing.T) {
	_, err := testenv.Docker(t).ImageInspect(t.Context(), pgImage)
	testenv.RequireOrSkip(t, err == nil, "image %s missing (%v): build it with scripts/build-postgres-image.sh", pgImage, err)
	f := newVolFixture(t)
	vol := f.Volume("pgdrill", map[string]string{appplan.LabelBackup: "true"})
	db := pgContainer(f, "pgdrill", map[string]string{
		// Division by zero unless the table holds the 300 rows.
		appplan.LabelVerify:   `["psql","-v","ON_ERROR_STOP=1","-d","appdb","-Atc","SELECT 1/(count(*)=300)::int FROM items"]`,
		appplan.LabelHookUser: "postgres",
	}, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: pgMount})
	pgWaitHealthy(f, db)
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE appdb")
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c",
		"CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 300)")
	f.c.mustVolumesJSON(&backupJSON{}, "backup", vol)
	pgWaitHealthy(f, db)
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c", "INSERT INTO items VALUES (301)")

	out, errOut, code := f.c.run("verify", "--app", vol, "--boot")
	t.Logf("verify --boot: exit %d\n%s%s", code, out, errOut)
	if code != 0 || !strings.Contains(out, "PASSED") || !strings.Contains(out, "healthy") {
		t.Errorf("drill of PostgreSQL: exit %d", code)
	}
	assertNoDrillLeft(t, f)
	// The real server has its row 301: the drill did not touch it.
	if got := strings.TrimSpace(pgMust(f, db, "psql", "-At", "-d", "appdb", "-c", "SELECT count(*) FROM items")); got != "301" {
		t.Errorf("the real database has %s rows, want 301", got)
	}
}

const drillJobConfig = `state_dir: STATE
listen: ADDR
repositories:
  r:
    location: REPO
    password_file: PW
jobs:
  apps:
    repository: r
    schedule: "*/2 * * * * *"
    volumes: {select: [APP]}
    verify: {schedule: "*/3 * * * * *", boot: true, boot_timeout: 1m}
`

// TestDaemonDrill: a volumes job with verify {boot: true} drills the
// apps its backups saved, on schedule: /status lists the passed drill, /metrics has the drill's
// last success, and the drill leaves nothing behind.
func TestDaemonDrill(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "ddr", map[string]string{appplan.LabelVerify: `["/testapp","exists","/data/ready-marker"]`})
	writeFile(t, filepath.Join(f.mountpoint(a.webVol), "ready-marker"), []byte("x"))
	d := newVolumesDaemon(f)
	writeFile(t, d.cfg, []byte(strings.NewReplacer("STATE", d.state, "ADDR", d.addr, "REPO", f.c.env["RESTIC_REPOSITORY"],
		"PW", d.pw, "APP", a.name).Replace(drillJobConfig)))
	p := startDaemonProc(t, f.c, d.cfg, d.addr)

	st := p.waitStatus(f.c, "a verify run with a drill", func(st *orchestrate.Status) bool {
		for _, j := range st.Jobs {
			if j.Kind == orchestrate.KindVerify && j.LastRun != nil && len(j.LastRun.Drills) > 0 {
				return true
			}
		}
		return false
	})
	for _, j := range st.Jobs {
		if j.Kind == orchestrate.KindVerify {
			if r := j.LastRun; !r.OK() || len(r.Drills) != 1 || !r.Drills[0].Passed || r.Drills[0].App != a.name {
				t.Errorf("verify run: %+v", r)
			}
		}
	}
	metrics := httpGet(t, "http://"+d.addr+"/metrics")
	if !strings.Contains(metrics, `drydock_drill_last_success_timestamp_seconds{app="`+a.name+`",job="apps"}`) {
		t.Errorf("no drill metric:\n%s", grepMetric(metrics, "drill"))
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Errorf("daemon exit %d\n%s", code, p.stderr())
	}
	assertNoDrillLeft(t, f)
}
