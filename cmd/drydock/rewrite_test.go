package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestRewrite: rewriting a snapshot without some entries gives exactly
// the tree a backup with the same excludes makes; the original stays
// (the rewrite tagged "rewrite") or, with --forget, goes; a dry run
// writes nothing; restic checks and reads the result.
func TestRewrite(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	for p, data := range map[string]string{"keep/a": "a", "secret/key": "k", "x.tmp": "t", "deep/b/c.tmp": "c", "deep/b/d": "d"} {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755))
		must(t, os.WriteFile(filepath.Join(src, p), []byte(data), 0o644))
	}
	c := newCLI(t, dir)
	c.must("init")
	c.must("backup", "--tag", "full", src)
	full := lines(c.must("list", "snapshots"))[0]
	excludes := []string{"--exclude", "*.tmp", "--exclude", filepath.Join(src, "secret")}
	c.must(append([]string{"backup", "--tag", "lean"}, append(excludes, src)...)...)
	lean := snapshotsByTag(t, c)["lean"]

	packs := lines(c.must("list", "packs"))
	out := c.must(append([]string{"rewrite", "--dry-run", full}, excludes...)...)
	if !strings.Contains(out, "would rewrite 1 snapshots") || !strings.Contains(out, filepath.Join(src, "x.tmp")) {
		t.Errorf("dry run printed:\n%s", out)
	}
	if got := lines(c.must("list", "packs")); !slices.Equal(got, packs) || len(lines(c.must("list", "snapshots"))) != 2 {
		t.Errorf("a dry run wrote something")
	}

	out = c.must(append([]string{"rewrite", full}, excludes...)...)
	if !strings.Contains(out, "rewrote 1 snapshots") {
		t.Fatalf("rewrite printed:\n%s", out)
	}
	sns := snapshotsByTag(t, c)
	rw := sns["rewrite"]
	// Access times differ between the two (the first backup read the
	// directories); all else is the same.
	if got, want := entries(t, c, rw.ID, src), entries(t, c, lean.ID, src); !slices.Equal(got, want) {
		t.Errorf("the rewrite holds\n%q\nwant what a backup with the same excludes holds\n%q", got, want)
	}
	if rw.Original != full || !slices.Equal(rw.Tags, []string{"full", "rewrite"}) || len(sns) != 3 {
		t.Errorf("rewrite %+v of %s; snapshots %v", rw, full[:8], sns)
	}

	// --forget, patterns from a file: the original goes.
	exFile := filepath.Join(t.TempDir(), "excludes")
	must(t, os.WriteFile(exFile, []byte("# test\n*.tmp\n"+filepath.Join(src, "secret")+"\n"), 0o600))
	c.must("rewrite", "--forget", "--exclude-file", exFile, "--tag", "full")
	sns = snapshotsByTag(t, c)
	if ids := lines(c.must("list", "snapshots")); slices.Contains(ids, full) || len(ids) != 3 || sns["full"].Original != full {
		t.Errorf("after rewrite --forget of %s: snapshots %q, its rewrite %+v", full[:8], ids, sns["full"])
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
	listed := c.mustRestic(bin, "ls", sns["rewrite"].ID)
	if strings.Contains(listed, "secret") || strings.Contains(listed, ".tmp") || !strings.Contains(listed, "keep/a") {
		t.Errorf("restic ls of the rewrite:\n%s", listed)
	}
	if out := c.must("rewrite", "--exclude", "*.nothing"); !strings.Contains(out, "no snapshots were modified") {
		t.Errorf("a rewrite that leaves nothing out printed %q", out)
	}
	for _, bad := range [][]string{{"rewrite"}, {"rewrite", "--exclude", "["}, {"rewrite", "--exclude-file", "/nonexistent"}} {
		if _, _, code := c.run(bad...); code != exitFailure {
			t.Errorf("drydock %s: exit %d, want 1", strings.Join(bad, " "), code)
		}
	}
}

// entries lists a snapshot's entries below dir with their type, size,
// mode and modification time, from ls --json. (Above dir, other tests
// change /tmp between two backups.)
func entries(t *testing.T, c *cli, id, dir string) []string {
	t.Helper()
	var out []string
	for i, line := range strings.Split(strings.TrimSpace(c.must("ls", "--json", id)), "\n") {
		if i == 0 {
			continue // the snapshot
		}
		var n struct {
			Path, Type, Mtime string
			Size              uint64
			Mode              uint32
		}
		must(t, json.Unmarshal([]byte(line), &n))
		if !strings.HasPrefix(n.Path, dir+"/") {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %d %o %s", n.Path, n.Type, n.Size, n.Mode, n.Mtime))
	}
	return out
}

type snapshotFields struct {
	ID, Tree, Original string
	Tags               []string
}

// snapshotsByTag maps each snapshot's last tag to it.
func snapshotsByTag(t *testing.T, c *cli) map[string]snapshotFields {
	t.Helper()
	var sns []snapshotFields
	must(t, json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns))
	m := map[string]snapshotFields{}
	for _, sn := range sns {
		m[sn.Tags[len(sn.Tags)-1]] = sn
	}
	return m
}
