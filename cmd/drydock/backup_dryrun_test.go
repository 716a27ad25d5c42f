package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// repoListing is every file of a local repository with its size.
func repoListing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d\n", strings.TrimPrefix(p, dir), info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// backupCounts is what a dry run and the real run after it must agree on.
type backupCounts struct {
	SnapshotID   string `json:"snapshot_id"`
	DryRun       bool   `json:"dry_run"`
	FilesNew     int    `json:"files_new"`
	FilesChanged int    `json:"files_changed"`
	DataBlobs    int    `json:"data_blobs"`
	TreeBlobs    int    `json:"tree_blobs"`
	DataAdded    uint64 `json:"data_added"`
}

func dryRunSummary(t *testing.T, out string) backupCounts {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s backupCounts
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("backup --json summary %q: %v", out, err)
	}
	return s
}

// TestBackupDryRunWritesNothing: backup --dry-run (and -n) leaves every
// file of the repository as it was, says what it would add, and says
// exactly what the real run then adds; it does not create the default
// repository either.
func TestBackupDryRunWritesNothing(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	// The snapshot records the metadata of every directory above the one
	// backed up: under /tmp, which other processes change between the dry
	// and the real run, the root trees' sizes then differ by the few bytes
	// a timestamp's trailing zeros take. At the root (as root) no
	// ancestor but our own directory is recorded.
	base, err := os.MkdirTemp("/", "drydock-test-dryrun-")
	if err != nil {
		base = t.TempDir()
	} else {
		t.Cleanup(func() { _ = os.RemoveAll(base) })
	}
	dir, repoDir := filepath.Join(base, "data"), filepath.Join(base, "repo")
	if err := os.MkdirAll(filepath.Join(dir, "more"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeRandomFiles(t, dir, 4, 3<<20)
	c := newCLI(t, repoDir)
	c.must("init")
	c.must("backup", dir)
	writeRandomFiles(t, filepath.Join(dir, "more"), 3, 2<<20)
	writeTree(t, dir, map[string]string{"small": "changed"})
	// Reading updates access times, which the trees record: set them
	// after the modification times, so that (relatime) the dry run's
	// reading leaves them as they are and both runs see the same tree.
	now := time.Now()
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, now.Add(time.Hour), now.Add(-time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	before := repoListing(t, repoDir)
	dry := dryRunSummary(t, c.must("backup", "-n", "--json", dir))
	text := c.must("backup", "--dry-run", dir)
	if after := repoListing(t, repoDir); after != before {
		t.Fatalf("a dry run changed the repository:\nbefore\n%s\nafter\n%s", before, after)
	}
	if !dry.DryRun || dry.SnapshotID != "" || !strings.Contains(text, "Would add to the repository") || strings.Contains(text, "saved") {
		t.Errorf("dry run summary %+v, text %q: want dry_run, no snapshot, \"Would add\"", dry, text)
	}
	real := dryRunSummary(t, c.must("backup", "--json", dir))
	dry.DryRun, dry.SnapshotID = false, real.SnapshotID
	if dry != real || real.DataBlobs == 0 {
		t.Errorf("the dry run counted %+v, the real run then added %+v", dry, real)
	}
	c.mustRestic(bin, "check")

	// With nothing configured, a dry run does not create the default
	// repository that a real backup would.
	home := t.TempDir()
	d := &cli{t: t, env: map[string]string{"HOME": home, "XDG_DATA_HOME": filepath.Join(home, "data")}}
	if _, _, code := d.run("backup", "-n", dir); code == 0 {
		t.Errorf("dry run with no repository: exit 0")
	}
	if _, err := os.Stat(filepath.Join(home, "data", "drydock", "repo")); !os.IsNotExist(err) {
		t.Errorf("dry run created the default repository (stat: %v)", err)
	}
}

// TestBackupGroupByPicksParent: --group-by chooses among which snapshots
// the parent is the newest, as restic's.
func TestBackupGroupByPicksParent(t *testing.T) {
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
	aTagged := backup("--host", "a", "--tag", "x", "--time", "2024-01-01 00:00:00", dir)
	b := backup("--host", "b", "--time", "2024-01-02 00:00:00", dir)
	aOther := backup("--host", "a", "--time", "2024-01-03 00:00:00", other)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--host", "c"}, ""},
		{[]string{"--host", "c", "--group-by", "paths"}, b},
		{[]string{"--host", "a", "--group-by", "host"}, aOther},
		{[]string{"--host", "c", "--group-by", ""}, aOther},
		{[]string{"--host", "a", "--tag", "x", "-g", "host,paths,tags"}, aTagged},
		{[]string{"--host", "b", "--tag", "x", "--group-by", "host,tags"}, ""},
		{[]string{"--host", "a", "--group-by", "tags"}, aOther},
	} {
		args := append(append([]string{"--time", "2024-02-01 00:00:00"}, tc.args...), dir)
		id := backup(args...)
		if got := catSnapshot(t, c, bin, id).Parent; got != tc.want {
			t.Errorf("backup %q: parent %q, want %q", tc.args, got, tc.want)
		}
		c.must("forget", id) // not a candidate for the next case
	}
	if _, errOut, code := c.run("backup", "--group-by", "hosts,colour", dir); code != 1 || !strings.Contains(errOut, "colour") {
		t.Errorf("--group-by hosts,colour: exit %d, %q; want exit 1 naming the bad field", code, errOut)
	}
}
