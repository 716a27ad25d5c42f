package main

import (
	"encoding/json"
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

// TestRepairSnapshots: after a data pack is lost (and repair index),
// repair snapshots writes the snapshot anew without the missing chunks:
// restic 0.14 then checks the repository clean, reading all data, and the
// snapshot restores, the damaged files shorter. A dry run changes nothing.
func TestRepairSnapshots(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	c.must("init")
	writeRandomFiles(t, src, 8, 3<<20) // several data packs
	c.must("backup", "--tag", "daily", src)
	orig := lines(c.must("list", "snapshots"))[0]

	var idx struct {
		Packs []struct {
			ID    string
			Blobs []struct{ Type string }
		}
	}
	must(t, json.Unmarshal([]byte(c.must("cat", "index", lines(c.must("list", "index"))[0])), &idx))
	lost := ""
	for _, p := range idx.Packs {
		if p.Blobs[0].Type == "data" {
			lost = p.ID
			break
		}
	}
	if lost == "" {
		t.Fatal("no data pack")
	}
	must(t, os.Remove(filepath.Join(dir, "data", lost[:2], lost)))
	c.must("repair", "index")
	if _, err := c.restic(bin, "check"); err == nil {
		t.Fatal("restic check finds nothing wrong with a data pack gone")
	}

	if out := c.must("repair", "snapshots", "--dry-run"); !strings.Contains(out, "chunks missing") || !strings.Contains(out, "would rewrite 1 snapshots") {
		t.Errorf("dry run printed:\n%s", out)
	}
	if got := lines(c.must("list", "snapshots")); len(got) != 1 || got[0] != orig {
		t.Errorf("a dry run changed the snapshots: %q", got)
	}
	out := c.must("repair", "snapshots", "--forget")
	if !strings.Contains(out, "rewrote 1 snapshots") {
		t.Fatalf("repair snapshots printed:\n%s", out)
	}
	if got := lines(c.must("list", "snapshots")); len(got) != 1 || got[0] == orig {
		t.Errorf("after --forget the snapshots are %q, want one, not the original", got)
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check after repair snapshots:\n%s", out)
	}
	dst := t.TempDir()
	c.must("restore", "latest", "--target", dst)
	entries, err := os.ReadDir(filepath.Join(dst, src))
	if err != nil || len(entries) != 8 {
		t.Fatalf("restored %d files, %v", len(entries), err)
	}
	var short int
	for _, e := range entries {
		if fi, _ := e.Info(); fi.Size() < 3<<20 {
			short++
		}
	}
	if short == 0 {
		t.Error("no restored file is shorter, though chunks were lost")
	}
}
