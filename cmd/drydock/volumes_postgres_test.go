package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// pgImage is built offline from Debian packages by
// scripts/build-postgres-image.sh; its default command runs PostgreSQL as
// user postgres on $PGDATA below pgMount, creating the cluster first.
const (
	pgImage = "drydock-test-postgres:15"
	pgMount = "/var/lib/postgresql/data"
)

// TestVolumesPostgresDump backs up a real PostgreSQL whose pre hook runs
// pg_dump into the backed-up volume: stock restic restores the dump, and it
// loads into a fresh PostgreSQL with exactly the rows of backup time.
func TestVolumesPostgresDump(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	_, err := testenv.Docker(t).ImageInspect(t.Context(), pgImage)
	testenv.RequireOrSkip(t, err == nil, "image %s missing (%v): build it with scripts/build-postgres-image.sh", pgImage, err)
	f := newVolFixture(t)

	vol := f.Volume("pg", map[string]string{appplan.LabelBackup: "true"})
	mp := f.mountpoint(vol)
	// Text is run by /bin/sh -c. As root the dump would fail (no role
	// "root"), so it also proves that drydock.hook.user applies.
	db := pgContainer(f, "pg", map[string]string{
		appplan.LabelHookPre:     "mkdir -p " + pgMount + "/dump && pg_dump -Fc -f " + pgMount + "/dump/db.dump appdb",
		appplan.LabelHookUser:    "postgres",
		appplan.LabelHookTimeout: "2m",
	}, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: pgMount})
	pgWaitHealthy(f, db)
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE appdb")
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c",
		"CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);"+
			"INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 500) i")
	const query = "SELECT id, name FROM items ORDER BY id"
	want := pgMust(f, db, "psql", "-At", "-d", "appdb", "-c", query)
	if n := strings.Count(want, "\n"); n != 500 {
		t.Fatalf("%d rows inserted, want 500", n)
	}
	if _, err := os.Stat(filepath.Join(mp, "dump")); !os.IsNotExist(err) {
		t.Fatalf("a dump exists before the backup: %v", err)
	}

	var rep backupJSON
	f.c.mustVolumesJSON(&rep, "backup", vol)
	app := rep.app(t, vol)
	if app.SnapshotID == "" || app.Error != "" || rep.Failed != 0 || !slices.Equal(app.Stopped, []string{f.Name("pg")}) {
		t.Fatalf("backup: %+v (failed %d)", app, rep.Failed)
	}
	if !f.Running(db) {
		t.Fatal("PostgreSQL not running after the backup")
	}
	pgWaitHealthy(f, db)
	// Not in the dump: it was taken by the pre hook, before this.
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c", "INSERT INTO items VALUES (501, 'after the backup')")

	dst := t.TempDir()
	f.c.mustRestic(resticBin, "restore", app.SnapshotID, "--target", dst)
	dumpDir := filepath.Join(dst, mp, "dump")
	dump, err := os.ReadFile(filepath.Join(dumpDir, "db.dump"))
	if err != nil || !bytes.HasPrefix(dump, []byte("PGDMP")) {
		t.Fatalf("no custom-format dump in the snapshot (%v): %.40q", err, dump)
	}

	fresh := pgContainer(f, "pgfresh", nil,
		mount.Mount{Type: mount.TypeVolume, Source: f.Volume("pgfresh", nil), Target: pgMount},
		mount.Mount{Type: mount.TypeBind, Source: dumpDir, Target: "/restore", ReadOnly: true})
	pgWaitHealthy(f, fresh)
	pgMust(f, fresh, "createdb", "appdb")
	pgMust(f, fresh, "pg_restore", "--exit-on-error", "-d", "appdb", "/restore/db.dump")
	if got := pgMust(f, fresh, "psql", "-At", "-d", "appdb", "-c", query); got != want {
		t.Errorf("restored rows differ from those at backup time:\n got %d rows, %.200q\nwant %d rows, %.200q",
			strings.Count(got, "\n"), got, strings.Count(want, "\n"), want)
	}
}

// pgContainer creates and starts a PostgreSQL container without network,
// removed when the test ends (before the fixture removes its volumes).
func pgContainer(f *volFixture, base string, labels map[string]string, mounts ...mount.Mount) string {
	f.t.Helper()
	ctx := context.Background()
	cfg := &container.Config{
		Image:      pgImage,
		Labels:     labels,
		StopSignal: "SIGINT", // fast shutdown: do not wait for clients
		Healthcheck: &container.HealthConfig{
			Test:        []string{"CMD", "pg_isready", "-q", "-U", "postgres"},
			Interval:    200 * time.Millisecond,
			Timeout:     5 * time.Second,
			StartPeriod: time.Minute,
			Retries:     3,
		},
	}
	hc := &container.HostConfig{NetworkMode: "none", Mounts: mounts}
	name := f.Name(base)
	c, err := f.Cli.ContainerCreate(ctx, cfg, hc, nil, nil, name)
	if err != nil {
		f.t.Fatalf("create container %s: %v", name, err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f.Cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
			f.t.Errorf("remove container %s: %v", name, err)
		}
	})
	if err := f.Cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		f.t.Fatalf("start container %s: %v", name, err)
	}
	return c.ID
}

// pgWaitHealthy waits until pg_isready succeeds in the container.
func pgWaitHealthy(f *volFixture, id string) {
	f.t.Helper()
	var ins container.InspectResponse
	healthy := func() bool { return ins.State.Health != nil && ins.State.Health.Status == container.Healthy }
	testenv.Eventually(time.Minute, 100*time.Millisecond, func() bool {
		ins = f.Inspect(id)
		return !ins.State.Running || healthy()
	})
	if ins.State.Running && healthy() {
		return
	}
	logs := ""
	if ins.State.Health != nil && len(ins.State.Health.Log) > 0 {
		logs = ins.State.Health.Log[len(ins.State.Health.Log)-1].Output
	}
	f.t.Fatalf("PostgreSQL in %s not healthy: %s (exit %d) %s", ins.Name, ins.State.Status, ins.State.ExitCode, logs)
}

// pgMust runs cmd in the container as user postgres and returns its
// stdout; a non-zero exit fails the test.
func pgMust(f *volFixture, id string, cmd ...string) string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ex, err := f.Cli.ContainerExecCreate(ctx, id, container.ExecOptions{User: "postgres", Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		f.t.Fatalf("exec %v: %v", cmd, err)
	}
	att, err := f.Cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		f.t.Fatalf("exec %v: %v", cmd, err)
	}
	defer att.Close()
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, att.Reader); err != nil {
		f.t.Fatalf("exec %v: %v", cmd, err)
	}
	// The stream may end a moment before Docker records the exit code.
	var ins container.ExecInspect
	if !testenv.Eventually(time.Minute, 20*time.Millisecond, func() bool {
		var err error
		if ins, err = f.Cli.ContainerExecInspect(ctx, ex.ID); err != nil {
			f.t.Fatalf("exec %v: %v", cmd, err)
		}
		return !ins.Running
	}) {
		f.t.Fatalf("exec %v: still running a minute after its output ended", cmd)
	}
	if ins.ExitCode != 0 {
		f.t.Fatalf("exec %v: exit %d\n%s%s", cmd, ins.ExitCode, out.String(), errOut.String())
	}
	return out.String()
}
