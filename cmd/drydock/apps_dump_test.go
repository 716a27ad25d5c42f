package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestAppDumpStreamed: a 30 MB dump command's output is stored in the
// same snapshot as its volume's files, byte for byte through stock
// `restic dump`, mode 0600; a failing dump command in another app fails
// that app (exit non-zero, naming its container, command, exit code and
// stderr) and no snapshot of it is written, while both apps run on.
func TestAppDumpStreamed(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	const size, seed = 30 << 20, 7

	good := f.Volume("dumpok", map[string]string{appplan.LabelBackup: "true"})
	files := seed3(t, f.mountpoint(good))
	f.Container(dockertest.Spec{Name: "dumpok", Mounts: []string{good + ":/data"}, Labels: map[string]string{
		appplan.LabelDump: `["/testapp","emit","` + strconv.Itoa(size) + `","` + strconv.Itoa(seed) + `"]`,
	}})
	bad := f.Volume("dumpbad", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "dumpbad", Mounts: []string{bad + ":/data"}, Labels: map[string]string{
		appplan.LabelDump:     `["/testapp","exit","3","pg_dump: connection refused"]`,
		appplan.LabelDumpName: "db.dump",
	}})

	var plan planJSON
	f.c.mustVolumesJSON(&plan, "ls", good)
	if len(plan.Apps) != 1 || len(plan.Apps[0].Dumps) != 1 || plan.Apps[0].Dumps[0].Path != dumpPath(good, f.Name("dumpok")+".dump") {
		t.Errorf("volumes ls does not show the dump: %+v", plan.Apps)
	}
	if ls, _, _ := f.c.runVolumes("ls", bad); !strings.Contains(ls, "db.dump") || !strings.Contains(ls, "definition:") {
		t.Errorf("volumes ls text lacks the dump or definition:\n%s", ls)
	}

	out, errOut, code := f.c.runVolumes("backup", "--json", good, bad)
	if code == 0 {
		t.Fatalf("a failing dump command left the exit code 0\n%s%s", out, errOut)
	}
	var rep backupJSON
	mustUnmarshal(t, out, &rep)
	failed := rep.app(t, bad)
	for _, want := range []string{f.Name("dumpbad"), "exit code 3", "pg_dump: connection refused", `"/testapp" "exit" "3"`} {
		if !strings.Contains(failed.Error, want) {
			t.Errorf("error of the failing app lacks %q: %s", want, failed.Error)
		}
	}
	if failed.SnapshotID != "" || len(failed.Dumps) != 0 {
		t.Errorf("the failing app claims a snapshot or dump: %+v", failed)
	}
	app := rep.app(t, good)
	if app.SnapshotID == "" || app.Error != "" {
		t.Fatalf("the app with a good dump: %+v", app)
	}
	dump := dumpPath(good, f.Name("dumpok")+".dump")
	if !slices.Equal(app.Dumps, []string{dump}) {
		t.Errorf("report dumps %v, want [%s]", app.Dumps, dump)
	}
	gotHash, n := f.c.resticDumpHash(resticBin, app.SnapshotID, dump)
	if n != size || gotHash != emitHash(t, size, seed) {
		t.Fatalf("restic dump %s: %d bytes, sha256 %s; want the command's %d bytes", dump, n, gotHash, size)
	}
	if l := f.c.resticLsLine(resticBin, app.SnapshotID, dump); !strings.HasPrefix(l, "-rw------- ") || !strings.Contains(l, " "+strconv.Itoa(size)+" ") {
		t.Errorf("restic ls -l: %q, want mode -rw------- and size %d", l, size)
	}
	for _, rel := range files {
		p := filepath.Join(f.mountpoint(good), rel)
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.c.mustResticRaw(resticBin, "dump", app.SnapshotID, p); got != string(want) {
			t.Errorf("restic dump %s: %d bytes differ from the volume's %d", p, len(got), len(want))
		}
	}
	f.AssertAllRunning()

	// The next run finds this snapshot as parent: the app's paths include
	// its own directory, stable across runs.
	var rep2 backupJSON
	f.c.mustVolumesJSON(&rep2, "backup", good)
	if p := rep2.app(t, good).Parent; p != app.SnapshotID {
		t.Errorf("second run's parent %q, want %s", p, app.SnapshotID)
	}
}

// seed3 writes three small files into dir and returns their names.
func seed3(t *testing.T, dir string) []string {
	t.Helper()
	names := []string{"a.txt", "sub/b.bin", "sub/c.bin"}
	for i, n := range names {
		writeFile(t, filepath.Join(dir, n), []byte(strings.Repeat(n, 1000*(i+1))))
	}
	return names
}
