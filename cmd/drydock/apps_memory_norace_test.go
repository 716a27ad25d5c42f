//go:build !race

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestAppDumpMemory streams a multi-gigabyte dump through the real binary
// and bounds drydock's peak RSS: the dump goes from the exec's attach
// through the chunker into packs, never whole into memory or onto disk.
// Not under the race detector (it would take minutes): `make test` runs it
// without.
func TestAppDumpMemory(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	const size, seed = 2 << 30, 11
	const maxRSS = 300 << 20

	vol := f.Volume("dumpbig", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "dumpbig", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.LabelDump: `["/testapp","emit","` + strconv.Itoa(size) + `","` + strconv.Itoa(seed) + `"]`,
	}})
	cmd := exec.Command(drydockBinary(t), waitingForHostLock([]string{"volumes", "backup", "--json", vol})...)
	cmd.Env = append(os.Environ(), f.c.environ()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("drydock volumes backup: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	took := time.Since(start)
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("dump of %d bytes: drydock peak RSS %.1f MiB, %s", size, float64(peak)/(1<<20), took.Round(time.Second))
	if peak > maxRSS {
		t.Errorf("peak RSS %d MiB for a %d MiB dump, want < %d MiB", peak>>20, size>>20, maxRSS>>20)
	}
	var rep backupJSON
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	app := rep.app(t, vol)
	hash, n := f.c.resticDumpHash(resticBin, app.SnapshotID, dumpPath(vol, f.Name("dumpbig")+".dump"))
	if n != size || hash != emitHash(t, size, seed) {
		t.Errorf("restic dump: %d bytes, sha256 %s; want the command's %d bytes", n, hash, size)
	}
}
