package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// resticRestoreOptions: restic 0.14 restores everything of the fixture but
// non-UTF-8 symlink targets, which it predates (linktarget_raw, docs/format.md §13).
var resticRestoreOptions = fixture.CompareOptions{MangledLinkTargets: true}

// TestDrydockWritesResticJudges backs the fixture up with drydock and has
// stock restic check, list and restore it.
func TestDrydockWritesResticJudges(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	fixture.Build(t, src)
	c := newCLI(t, repo)
	c.must("init")
	c.must("backup", "--tag", "nightly", "--tag", "fixture", "--host", "interop-host", src)

	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
	var sns []struct {
		Paths    []string `json:"paths"`
		Hostname string   `json:"hostname"`
		Tags     []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(c.mustRestic(bin, "snapshots", "--json")), &sns); err != nil {
		t.Fatal(err)
	}
	if len(sns) != 1 || !slices.Equal(sns[0].Paths, []string{src}) || sns[0].Hostname != "interop-host" ||
		!slices.Equal(sorted(sns[0].Tags), []string{"fixture", "nightly"}) {
		t.Fatalf("restic sees snapshots %+v", sns)
	}
	dst := t.TempDir()
	c.mustRestic(bin, "restore", "latest", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)

	// drydock's own restore of its own snapshot loses nothing, not even
	// non-UTF-8 symlink targets (linktarget_raw).
	own := t.TempDir()
	c.must("restore", "latest", "--target", own)
	fixture.Compare(t, src, filepath.Join(own, src), fixture.CompareOptions{})
}

// TestResticWritesDrydockReads has restic back the fixture up; drydock
// lists and restores it, then backs the unchanged tree up into restic's
// repository without adding a single data blob.
func TestResticWritesDrydockReads(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	fixture.Build(t, src)
	c := newCLI(t, repo)
	c.mustRestic(bin, "init")
	c.mustRestic(bin, "backup", src)

	var sns []struct {
		ID    string   `json:"id"`
		Paths []string `json:"paths"`
	}
	if err := json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns); err != nil {
		t.Fatal(err)
	}
	if len(sns) != 1 || !slices.Equal(sns[0].Paths, []string{src}) {
		t.Fatalf("drydock sees snapshots %+v", sns)
	}
	ls := c.must("ls", "latest")
	for _, name := range []string{"/names/<&>", "/links/hard2", "/deep/hard3"} {
		if !strings.Contains(ls, src+name) {
			t.Errorf("drydock ls does not list %s", src+name)
		}
	}
	dst := t.TempDir()
	c.must("restore", sns[0].ID[:8], "--target", dst)
	// restic 0.14 stored non-UTF-8 symlink targets mangled: so they restore.
	fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)

	before := dataBlobs(t, c, bin)
	out := c.must("backup", "--json", src)
	var sum backupSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.DataBlobs != 0 || sum.FilesNew != 0 || sum.FilesChanged != 0 {
		t.Fatalf("backup of the unchanged tree into restic's repository added data: %+v", sum)
	}
	if after := dataBlobs(t, c, bin); !slices.Equal(before, after) {
		t.Fatalf("data blobs changed: %d before, %d after", len(before), len(after))
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check after drydock's backup:\n%s", out)
	}
}

// dataBlobs lists the repository's data blobs, as restic reports them.
func dataBlobs(t *testing.T, c *cli, bin string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(c.mustRestic(bin, "list", "blobs"), "\n") {
		if id, ok := strings.CutPrefix(line, "data "); ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		t.Fatal("no data blobs listed")
	}
	return ids
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
