package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestSnapshotsSizeColumn: snapshots has restic 0.17's Size column (the
// bytes the backup read, in restic's units) once a snapshot records a
// summary, empty for one that does not (restic 0.14 writes none), and none
// while no snapshot has one; --compact keeps it.
func TestSnapshotsSizeColumn(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte(strings.Repeat("x", 3000)), 0o644))
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.mustRestic(bin, "init")
	c.mustRestic(bin, "backup", src)

	if out := c.must("snapshots"); strings.Contains(strings.Split(out, "\n")[0], "Size") {
		t.Errorf("no snapshot has a summary, yet a Size column:\n%s", out)
	}
	c.must("backup", src)
	for _, args := range [][]string{{"snapshots"}, {"snapshots", "--compact"}} {
		lines := strings.Split(c.must(args...), "\n")
		if !strings.HasSuffix(lines[0], "  Size") {
			t.Errorf("%v: header %q has no Size column last", args, lines[0])
		}
		if strings.HasSuffix(strings.TrimSpace(lines[1]), "B") {
			t.Errorf("%v: restic 0.14's snapshot (no summary) shows a size: %q", args, lines[1])
		}
		if !strings.HasSuffix(lines[2], "  2.930 KiB") {
			t.Errorf("%v: drydock's snapshot of 3000 bytes: %q, want it to end in 2.930 KiB", args, lines[2])
		}
	}
}
