package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/resticjson"
)

// damagedSnapshotRepo makes a repository with two snapshots, of dirs a and
// b, and overwrites b's snapshot file with garbage. It returns the CLI,
// the repository directory, the intact snapshot's ID and the damaged one's.
func damagedSnapshotRepo(t *testing.T) (c *cli, repoDir string, intact, damaged format.ID) {
	t.Helper()
	base := t.TempDir()
	repoDir = filepath.Join(base, "repo")
	c = newCLI(t, repoDir)
	c.must("init", "--repository-version", "2")
	for _, name := range []string{"a", "b"} {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte("content of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		c.must("backup", dir)
	}
	sns, err := c.openRepo(repoDir).Snapshots(t.Context())
	if err != nil || len(sns) != 2 {
		t.Fatalf("snapshots before the damage: %v, %v", sns, err)
	}
	intact, damaged = sns[0].ID, sns[1].ID
	file := filepath.Join(repoDir, "snapshots", damaged.String())
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("not a snapshot file"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c, repoDir, intact, damaged
}

// TestDamagedSnapshotDoesNotBlockReading: with one snapshot file damaged,
// snapshots, ls, restore and verify of the intact one, by its ID or a
// prefix, work, exit 0 (as restic 0.14 does) and warn once about the
// damaged file, by its ID.
func TestDamagedSnapshotDoesNotBlockReading(t *testing.T) {
	c, _, intact, damaged := damagedSnapshotRepo(t)
	warnedOnce := func(what, stderr string) {
		t.Helper()
		if n := strings.Count(stderr, "warning: skipping snapshot "+damaged.Str()); n != 1 {
			t.Errorf("%s: want one warning naming %s, got:\n%s", what, damaged.Str(), stderr)
		}
	}

	out, errOut, code := c.run("snapshots")
	if code != 0 || !strings.Contains(out, intact.Str()) || strings.Contains(out, damaged.Str()) || !strings.Contains(out, "1 snapshots") {
		t.Fatalf("snapshots: exit %d\n%s%s", code, out, errOut)
	}
	warnedOnce("snapshots", errOut)

	out, errOut, code = c.run("snapshots", "--json")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0]["id"] != intact.String() {
		t.Fatalf("snapshots --json: exit %d\n%s%s", code, out, errOut)
	}
	warnedOnce("snapshots --json", errOut)

	for _, ref := range []string{intact.String(), intact.Str()} {
		out, errOut, code = c.run("ls", ref)
		if code != 0 || !strings.Contains(out, "a.txt") {
			t.Fatalf("ls %s: exit %d\n%s%s", ref, code, out, errOut)
		}
		warnedOnce("ls "+ref, errOut)
	}

	for _, ref := range []string{intact.String(), intact.Str()[:6]} {
		target := t.TempDir()
		out, errOut, code = c.run("restore", ref, "--target", target)
		if code != 0 {
			t.Fatalf("restore %s: exit %d\n%s%s", ref, code, out, errOut)
		}
		found := false
		_ = filepath.WalkDir(target, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "a.txt" {
				b, _ := os.ReadFile(p)
				found = string(b) == "content of a"
			}
			return nil
		})
		if !found {
			t.Fatalf("restore %s: a.txt not restored in %s", ref, target)
		}
	}

	out, errOut, code = c.run("verify", intact.String(), "--scratch", t.TempDir())
	if code != 0 {
		t.Fatalf("verify %s: exit %d\n%s%s", intact.Str(), code, out, errOut)
	}
	warnedOnce("verify", errOut)

	// The damaged snapshot itself: a clear error, not "not found".
	_, errOut, code = c.run("ls", damaged.String())
	if code != exitFailure || !strings.Contains(errOut, "snapshot "+damaged.Str()+" cannot be read") {
		t.Fatalf("ls of the damaged snapshot: exit %d\n%s", code, errOut)
	}
}

// TestLatestBesideDamagedSnapshot: while the newest snapshot file cannot
// be read, "latest" (explicit or by default, with or without filters, and
// the newest of a volume or an app) is unknown: each command fails with
// exit 1 naming the damaged file, restores nothing, and never falls back
// to the older snapshot. dump by the intact snapshot's ID still works.
func TestLatestBesideDamagedSnapshot(t *testing.T) {
	c, _, intact, damaged := damagedSnapshotRepo(t)
	host, err := os.Hostname()
	must(t, err)
	target := t.TempDir()
	for _, args := range [][]string{
		{"restore", "latest", "--target", target},
		{"restore", "latest", "--host", host, "--target", target},
		{"verify", "--scratch", t.TempDir()},
		{"verify", "latest", "--host", host, "--scratch", t.TempDir()},
		{"dump", "latest", "/"},
		{"dump", "latest", "/", "--host", host},
		{"ls", "latest"},
		{"stats", "latest"},
		{"diff", intact.String(), "latest"},
		{"volumes", "ls", "--snapshot", "latest"},
	} {
		out, errOut, code := c.run(args...)
		if code != exitFailure || !strings.Contains(errOut, "snapshot "+damaged.Str()+" cannot be read") ||
			!strings.Contains(errOut, "cannot tell which snapshot is the latest") || strings.Contains(out, "content of a") {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	if ents, err := os.ReadDir(target); err != nil || len(ents) != 0 {
		t.Errorf("restore latest wrote %v (%v)", ents, err)
	}

	// What resolves "latest" among the snapshots of a volume or an app.
	g := &globalOptions{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	r := c.openRepo(c.env["RESTIC_REPOSITORY"])
	if _, err := volumeSnapshot(t.Context(), r, g, "latest", "a", "/nonexistent"); err == nil || !strings.Contains(err.Error(), damaged.Str()) {
		t.Errorf("volumes restore latest: %v", err)
	}
	if _, err := appSnapshot(t.Context(), r, g, "app", "latest"); err == nil || !strings.Contains(err.Error(), damaged.Str()) {
		t.Errorf("verify --app latest: %v", err)
	}

	out, errOut, code := c.run("dump", intact.Str(), "/")
	if code != 0 || !strings.Contains(out, "content of a") || !strings.Contains(errOut, "warning: skipping snapshot "+damaged.Str()) {
		t.Errorf("dump %s: exit %d\n%s", intact.Str(), code, errOut)
	}
}

// TestDamagedSnapshotBlocksDeleting: forget (by policy or by ID) and prune
// refuse to delete anything while a snapshot cannot be read, and say so;
// nothing is removed.
func TestDamagedSnapshotBlocksDeleting(t *testing.T) {
	c, repoDir, intact, damaged := damagedSnapshotRepo(t)
	for _, args := range [][]string{
		{"forget", "--keep-last", "1"},
		{"forget", "--keep-last", "1", "--dry-run"},
		{"forget", intact.String()},
		{"forget", "--keep-last", "1", "--prune"},
		{"prune"},
	} {
		out, errOut, code := c.run(args...)
		if code != exitFailure || !strings.Contains(errOut, "snapshot "+damaged.Str()+" cannot be read") ||
			!strings.Contains(errOut, "refusing to delete anything while a snapshot cannot be read") {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	for _, id := range []format.ID{intact, damaged} {
		if _, err := os.Stat(filepath.Join(repoDir, "snapshots", id.String())); err != nil {
			t.Errorf("snapshot %s: %v", id.Str(), err)
		}
	}
}

// TestBackupBesideDamagedSnapshot: a damaged snapshot file does not stop
// later backups: the backup warns, takes its parent among the intact
// snapshots and succeeds.
func TestBackupBesideDamagedSnapshot(t *testing.T) {
	c, _, _, damaged := damagedSnapshotRepo(t)
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("after the damage"), 0o644))
	out, errOut, code := c.run("backup", src)
	if code != 0 || !strings.Contains(errOut, damaged.Str()) {
		t.Fatalf("backup beside a damaged snapshot: exit %d\n%s%s", code, out, errOut)
	}
	var sns []resticjson.Snapshot
	must(t, json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns))
	if len(sns) != 2 {
		t.Errorf("%d readable snapshots after the backup, want 2", len(sns))
	}
}
