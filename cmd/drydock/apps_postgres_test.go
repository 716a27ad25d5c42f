package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/mount"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestAppDumpPostgres streams `pg_dump -Fc` from a running PostgreSQL
// into the app's snapshot (no file in the volume or on the host), then
// restores it with stock `restic dump` into a fresh server: the rows are
// those at backup time.
func TestAppDumpPostgres(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	_, err := testenv.Docker(t).ImageInspect(t.Context(), pgImage)
	testenv.RequireOrSkip(t, err == nil, "image %s missing (%v): build it with scripts/build-postgres-image.sh", pgImage, err)
	f := newVolFixture(t)

	vol := f.Volume("pgs", map[string]string{appplan.LabelBackup: "true"})
	db := pgContainer(f, "pgs", map[string]string{
		appplan.LabelDump:     `["pg_dump","-Fc","appdb"]`,
		appplan.LabelDumpName: "appdb.pgdump",
		appplan.LabelHookUser: "postgres", // as root: no role "root"
	}, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: pgMount})
	pgWaitHealthy(f, db)
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE appdb")
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c",
		"CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);"+
			"INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 2000) i")
	const query = "SELECT id, name FROM items ORDER BY id"
	want := pgMust(f, db, "psql", "-At", "-d", "appdb", "-c", query)

	var rep backupJSON
	f.c.mustVolumesJSON(&rep, "backup", vol)
	app := rep.app(t, vol)
	if app.SnapshotID == "" || app.Error != "" {
		t.Fatalf("backup: %+v", app)
	}
	pgWaitHealthy(f, db)
	pgMust(f, db, "psql", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c", "INSERT INTO items VALUES (2001, 'after the backup')")
	var found []string
	_ = filepath.WalkDir(f.mountpoint(vol), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "pgdump") {
			found = append(found, p)
		}
		return nil
	})
	if len(found) > 0 {
		t.Errorf("the dump was written to the volume: %v", found)
	}

	restoreDir := t.TempDir()
	out, err := os.Create(filepath.Join(restoreDir, "db.dump"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(resticBin, "--no-cache", "dump", app.SnapshotID, dumpPath(vol, "appdb.pgdump"))
	var errOut strings.Builder
	cmd.Env, cmd.Stdout, cmd.Stderr = append(os.Environ(), f.c.environ()...), out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("restic dump: %v\n%s", err, errOut.String())
	}
	_ = out.Close()
	if err := os.Chmod(restoreDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out.Name(), 0o644); err != nil {
		t.Fatal(err)
	}

	fresh := pgContainer(f, "pgsfresh", nil,
		mount.Mount{Type: mount.TypeVolume, Source: f.Volume("pgsfresh", nil), Target: pgMount},
		mount.Mount{Type: mount.TypeBind, Source: restoreDir, Target: "/restore", ReadOnly: true})
	pgWaitHealthy(f, fresh)
	pgMust(f, fresh, "createdb", "appdb")
	pgMust(f, fresh, "pg_restore", "--exit-on-error", "-d", "appdb", "/restore/db.dump")
	if got := pgMust(f, fresh, "psql", "-At", "-d", "appdb", "-c", query); got != want {
		t.Errorf("restored rows differ from those at backup time: got %d rows, want %d",
			strings.Count(got, "\n"), strings.Count(want, "\n"))
	}
}
