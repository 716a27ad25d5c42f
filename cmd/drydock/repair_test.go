package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestRepairIndex: with an index file missing or damaged, repair index
// writes an index that restic 0.14 checks clean (data read back) and that
// restores everything; a pack that is gone is dropped from the index with
// a warning; --read-all-packs reads every header.
func TestRepairIndex(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	c.must("init")
	for i := range 3 {
		sub := filepath.Join(src, fmt.Sprint(i))
		must(t, os.Mkdir(sub, 0o755))
		writeRandomFiles(t, sub, 3, 300<<10)
		c.must("backup", src) // one index file each
	}
	indexFile := func(id string) string { return filepath.Join(dir, "index", id) }
	damage := []struct {
		name  string
		harm  func(id string)
		warns string
	}{
		{"missing", func(id string) { must(t, os.Remove(indexFile(id))) }, ""},
		{"damaged", func(id string) { must(t, os.WriteFile(indexFile(id), []byte("not an index"), 0o600)) }, "could not be read"},
	}
	for _, d := range damage {
		before := lines(c.must("list", "index"))
		d.harm(before[0])
		if _, err := c.restic(bin, "check"); err == nil {
			t.Fatalf("%s index file: restic check found nothing wrong; the test harms nothing", d.name)
		}
		out, errOut, code := c.run("repair", "index")
		if code != 0 || !strings.Contains(out, "wrote ") || !strings.Contains(errOut, d.warns) {
			t.Fatalf("repair index (%s): exit %d\n%s%s", d.name, code, out, errOut)
		}
		if after := lines(c.must("list", "index")); len(after) == 0 || strings.Contains(strings.Join(after, " "), before[0]) {
			t.Errorf("%s: index files %q after repair, the harmed %s still among them", d.name, after, before[0][:8])
		}
		if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
			t.Errorf("restic check after repairing a %s index file:\n%s", d.name, out)
		}
	}
	dst := t.TempDir()
	c.must("restore", "latest", "--target", dst)
	for i := range 3 {
		if b, err := os.ReadDir(filepath.Join(dst, src, fmt.Sprint(i))); err != nil || len(b) != 3 {
			t.Errorf("restored %s/%d: %d files, %v", src, i, len(b), err)
		}
	}

	out := c.must("repair", "index", "--read-all-packs")
	packs := len(lines(c.must("list", "packs")))
	if !strings.Contains(out, fmt.Sprintf("%d packs, %d read from their headers", packs, packs)) {
		t.Errorf("--read-all-packs with %d packs printed\n%s", packs, out)
	}

	// A pack that is gone leaves the index, with a warning, once.
	gone := lines(c.must("list", "packs"))[0]
	must(t, os.Remove(filepath.Join(dir, "data", gone[:2], gone)))
	if _, errOut, code := c.run("repair", "index"); code != 0 || !strings.Contains(errOut, "1 packs the old index listed are gone") {
		t.Errorf("repair index after a pack was removed: exit %d, %q", code, errOut)
	}
	if _, errOut, code := c.run("repair", "index"); code != 0 || strings.Contains(errOut, "gone") {
		t.Errorf("the gone pack is still in the index: exit %d, %q", code, errOut)
	}
}
