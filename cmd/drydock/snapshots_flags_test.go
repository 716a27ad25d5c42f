package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestSnapshotsLatestGroupCompact: --latest, --group-by and --compact
// choose the snapshots restic 0.14 chooses, in the groups it makes.
func TestSnapshotsLatestGroupCompact(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	a, b := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(a, "x"), []byte("x"), 0o644))
	must(t, os.WriteFile(filepath.Join(b, "y"), []byte("y"), 0o644))
	for _, host := range []string{"h1", "h2"} {
		c.must("backup", "--host", host, "--tag", "t1", a)
		c.must("backup", "--host", host, a)
		c.must("backup", "--host", host, "--tag", "t2", "--tag", "t3", b)
	}
	c.must("backup", "--host", "h1", a)

	for _, args := range [][]string{
		{"--latest", "1"}, {"--latest", "2", "--host", "h1"},
		{"-g", "host"}, {"-g", "host,paths", "--latest", "1"}, {"-g", "tags"}, {"-g", "host,paths,tags", "--latest", "1"},
	} {
		want := snapshotGroups(t, c.mustRestic(bin, append([]string{"snapshots", "--json"}, args...)...))
		got := snapshotGroups(t, c.must(append([]string{"snapshots", "--json"}, args...)...))
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("snapshots %s:\n drydock %q\n restic  %q", strings.Join(args, " "), got, want)
		}
	}

	text := c.must("snapshots", "-g", "host,paths", "--latest", "1", "--compact")
	if n := strings.Count(text, "snapshots for (host ["); n != 4 {
		t.Errorf("grouped text has %d group headings, want 4:\n%s", n, text)
	}
	if strings.Contains(text, "Paths") || strings.Count(text, "1 snapshots\n") != 4 {
		t.Errorf("compact grouped text has a paths column or wrong counts:\n%s", text)
	}
	if _, errOut, code := c.run("snapshots", "--latest", "-1"); code != exitFailure || !strings.Contains(errOut, "--latest -1") {
		t.Errorf("--latest -1: exit %d, %q", code, errOut)
	}
}

// snapshotGroups reads snapshots --json, grouped or not, as sorted
// "group key: snapshot IDs" lines; restic orders groups at random.
func snapshotGroups(t *testing.T, out string) []string {
	t.Helper()
	type sn struct{ ID string }
	var flat []sn
	var groups []struct {
		Key       json.RawMessage `json:"group_key"`
		Snapshots []sn
	}
	if json.Unmarshal([]byte(out), &flat) != nil || (len(flat) > 0 && flat[0].ID == "") {
		if err := json.Unmarshal([]byte(out), &groups); err != nil {
			t.Fatalf("snapshots --json: %v\n%s", err, out)
		}
	} else {
		groups = append(groups, struct {
			Key       json.RawMessage `json:"group_key"`
			Snapshots []sn
		}{Key: json.RawMessage("none"), Snapshots: flat})
	}
	var lines []string
	for _, g := range groups {
		ids := make([]string, len(g.Snapshots))
		for i, s := range g.Snapshots {
			ids[i] = s.ID[:8]
		}
		slices.Sort(ids)
		lines = append(lines, string(g.Key)+": "+strings.Join(ids, " "))
	}
	slices.Sort(lines)
	return lines
}
