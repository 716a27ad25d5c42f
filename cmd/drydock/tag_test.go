package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestTagAsRestic runs the same tag commands with restic 0.14 and with
// drydock on two copies of one repository: every snapshot ends with the
// same tags, traced by its first version's ID, and restic checks the
// repository drydock changed.
func TestTagAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	c.must("init")
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("f"), 0o644))
	for _, host := range []string{"h1", "h2"} {
		c.must("backup", "--host", host, "--tag", "t1", src)
		c.must("backup", "--host", host, "--tag", "a", "--tag", "b", src)
	}
	first := lines(c.must("list", "snapshots"))[0]

	theirs := filepath.Join(t.TempDir(), "restic-copy")
	if out, err := exec.Command("cp", "-a", dir, theirs).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	rc := newCLI(t, theirs)
	steps := [][]string{
		{"--add", "new1", first},
		{"--set", "a,b", "--host", "h2"},
		{"--remove", "a", "--host", "h2", "--tag", "a,b"},
		{"--add", "x,y", "--add", "z", "--remove", "t1", "--tag", "t1"},
		{"--set", "c", "--host", "h1", "--tag", "a"},
	}
	for _, step := range steps {
		rc.mustRestic(bin, append([]string{"tag"}, step...)...)
		out := c.must(append([]string{"tag"}, step...)...)
		if !strings.HasPrefix(out, "modified tags on ") {
			t.Errorf("drydock tag %s printed %q", strings.Join(step, " "), out)
		}
	}
	if out := c.must("tag", "--add", "z", "--tag", "z"); out != "no snapshots were modified\n" {
		t.Errorf("a tag that changes nothing printed %q", out)
	}
	if want, got := tagsByOriginal(t, rc.mustRestic(bin, "snapshots", "--json")), tagsByOriginal(t, c.mustRestic(bin, "snapshots", "--json")); !slices.Equal(got, want) {
		t.Errorf("tags after the same commands:\n drydock %q\n restic  %q", got, want)
	}
	if out := c.mustRestic(bin, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check after drydock tag:\n%s", out)
	}
	// restic 0.14 takes --set '' for no change; drydock removes every tag.
	c.must("tag", "--set", "", "--tag", "c")
	for _, line := range tagsByOriginal(t, c.must("snapshots", "--json")) {
		if strings.HasSuffix(line, "c") {
			t.Errorf("--set '' left a tag: %s", line)
		}
	}
	for _, bad := range [][]string{{"tag", "latest"}, {"tag", "--set", "a", "--add", "b"}, {"tag", "--add", "a", "0000dead"}} {
		if _, _, code := c.run(bad...); code != exitFailure {
			t.Errorf("drydock %s: exit %d, want 1", strings.Join(bad, " "), code)
		}
	}
}

// tagsByOriginal lists each snapshot's tags, sorted, under the ID of its
// first version.
func tagsByOriginal(t *testing.T, out string) []string {
	t.Helper()
	var sns []struct {
		ID       string
		Original string
		Tags     []string
	}
	if err := json.Unmarshal([]byte(out), &sns); err != nil {
		t.Fatal(err)
	}
	var l []string
	for _, sn := range sns {
		id := sn.Original
		if id == "" {
			id = sn.ID
		}
		tags := slices.Sorted(slices.Values(sn.Tags)) // restic 0.14 orders added tags its own way
		l = append(l, id[:8]+": "+strings.Join(tags, ","))
	}
	slices.Sort(l)
	return l
}
