package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// snapshotHead is what the --parent and --time tests read of a snapshot.
type snapshotHead struct {
	Time   time.Time `json:"time"`
	Parent string    `json:"parent"`
}

func catSnapshot(t *testing.T, c *cli, bin, id string) snapshotHead {
	t.Helper()
	var sn snapshotHead
	if err := json.Unmarshal([]byte(c.mustResticRaw(bin, "cat", "snapshot", id)), &sn); err != nil {
		t.Fatal(err)
	}
	return sn
}

// TestBackupParentAndTimeAsRestic: --parent names the parent even of
// other paths, --force overrides it, and --time sets the snapshot's time
// in local time and picks the parent not newer than it, as restic 0.14
// does.
func TestBackupParentAndTimeAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	base := t.TempDir()
	dir, other := filepath.Join(base, "data"), filepath.Join(base, "other")
	writeTree(t, dir, map[string]string{"a": "a"})
	writeTree(t, other, map[string]string{"o": "o"})
	c := newCLI(t, filepath.Join(base, "repo"))
	c.must("init")
	backup := func(args ...string) string {
		t.Helper()
		return backupSnapshotID(t, c.must(append([]string{"backup", "--json"}, args...)...))
	}
	old := backup("--time", "2020-01-02 03:04:05", dir)
	otherID := backup("--time", "2021-06-07 08:09:10", other)
	newer := backup("--time", "2022-03-04 05:06:07", dir)
	want := time.Date(2020, 1, 2, 3, 4, 5, 0, time.Local)
	if sn := catSnapshot(t, c, bin, old); !sn.Time.Equal(want) {
		t.Errorf("--time 2020-01-02 03:04:05: snapshot time %v, want %v", sn.Time, want)
	}
	// Each program's run of each case starts from a copy of this
	// repository, so that no run becomes the parent of another.
	seed := filepath.Join(base, "repo")
	fromSeed := func() {
		t.Helper()
		copyDir := filepath.Join(t.TempDir(), "repo")
		if out, err := exec.Command("cp", "-a", seed, copyDir).CombinedOutput(); err != nil {
			t.Fatalf("copy repository: %v\n%s", err, out)
		}
		c.env["RESTIC_REPOSITORY"] = copyDir
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // the parent's ID
		// not014: restic 0.14 refuses these flags (later restic takes
		// --parent latest); drydock alone is checked.
		not014 bool
	}{
		{"named parent of other paths", []string{"--parent", otherID[:8]}, otherID, false},
		{"latest", []string{"--parent", "latest"}, newer, true},
		{"time picks the parent not newer", []string{"--time", "2021-01-01 00:00:00"}, old, false},
		{"force overrides parent", []string{"--parent", otherID, "--force"}, "", false},
	} {
		args := append(tc.args, dir)
		fromSeed()
		ours := catSnapshot(t, c, bin, backup(args...))
		if tc.not014 {
			if ours.Parent != tc.want {
				t.Errorf("%s: drydock's parent %q, want %q", tc.name, ours.Parent, tc.want)
			}
			continue
		}
		fromSeed()
		theirs := catSnapshot(t, c, bin, backupSnapshotID(t, c.mustResticRaw(bin, append([]string{"backup", "--json"}, args...)...)))
		if ours.Parent != tc.want || theirs.Parent != tc.want {
			t.Errorf("%s: drydock's parent %q, restic's %q, want %q", tc.name, ours.Parent, theirs.Parent, tc.want)
		}
		if ours.Time.Sub(theirs.Time).Abs() > time.Minute { // now, or --time's
			t.Errorf("%s: drydock's time %v, restic's %v", tc.name, ours.Time, theirs.Time)
		}
	}
	for _, args := range [][]string{{"--parent", "ffffffff"}, {"--time", "2020-01-02T03:04:05"}, {"--time", "yesterday"}} {
		before, _ := os.ReadDir(filepath.Join(c.env["RESTIC_REPOSITORY"], "snapshots"))
		_, errOut, code := c.run(append(append([]string{"backup"}, args...), dir)...)
		after, _ := os.ReadDir(filepath.Join(c.env["RESTIC_REPOSITORY"], "snapshots"))
		if code != 1 || len(after) != len(before) || !strings.Contains(errOut, args[0][2:]) {
			t.Errorf("backup %q: exit %d, %d snapshots (had %d), %q; want exit 1, none written, naming the flag",
				args, code, len(after), len(before), errOut)
		}
	}
}
