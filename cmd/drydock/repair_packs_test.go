package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// dataPack returns the ID and path of the biggest pack of a repository
// written by one small backup: its data pack (the trees are a small one).
func dataPack(t *testing.T, dir string) (string, string) {
	t.Helper()
	var found []string
	err := filepath.Walk(filepath.Join(dir, "data"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var best string
	var size int64
	for _, p := range found {
		if info, _ := os.Stat(p); info.Size() > size {
			best, size = p, info.Size()
		}
	}
	return filepath.Base(best), best
}

// TestRepairPacks: a pack damaged in a blob or in its header is salvaged
// (every intact blob saved anew, a copy kept), the pack removed, and after
// repair snapshots --forget restic 0.14 checks the repository clean and
// the intact files restore byte for byte.
func TestRepairPacks(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	for _, tc := range []struct {
		name     string
		at       func(size int64) int64 // the byte damaged
		wantLost int
	}{
		{"blob", func(int64) int64 { return 100 }, 1},
		{"header", func(size int64) int64 { return size - 10 }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
			writeRandomFiles(t, src, 4, 700<<10)
			c := newCLI(t, dir)
			c.must("init")
			c.must("backup", src)
			id, path := dataPack(t, dir)
			orig, err := os.ReadFile(path)
			must(t, err)
			harmed := bytes.Clone(orig)
			harmed[tc.at(int64(len(orig)))] ^= 0xff
			must(t, os.Chmod(path, 0o600))
			must(t, os.WriteFile(path, harmed, 0o600))
			if _, err := c.restic(bin, "check", "--read-data"); err == nil {
				t.Fatal("restic check --read-data finds nothing wrong: the test harms nothing")
			}
			backups := t.TempDir()
			out, errOut, code := c.run("repair", "packs", "--backup-dir", backups, id)
			if code != 0 || !strings.Contains(out, "removed 1 packs") {
				t.Fatalf("repair packs: exit %d\n%s%s", code, out, errOut)
			}
			if got := strings.Count(errOut, "could not be salvaged"); got != tc.wantLost {
				t.Errorf("%d blobs lost, want %d:\n%s", got, tc.wantLost, errOut)
			}
			if copyOf, err := os.ReadFile(filepath.Join(backups, "pack-"+id)); err != nil || !bytes.Equal(copyOf, harmed) {
				t.Errorf("backup copy of the pack: %d bytes, err %v; want the %d damaged bytes", len(copyOf), err, len(harmed))
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the damaged pack is still there (stat: %v)", err)
			}
			if tc.wantLost > 0 {
				if _, err := c.restic(bin, "check", "--read-data"); err == nil {
					t.Error("restic check passes although a blob was lost and no snapshot was repaired")
				}
				c.must("repair", "snapshots", "--forget")
			}
			if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Errorf("restic check after repair:\n%s", out)
			}
			dst := t.TempDir()
			_, _, _ = c.run("restore", "latest", "--target", dst)
			intact := 0
			entries, _ := os.ReadDir(src)
			for _, e := range entries {
				want, _ := os.ReadFile(filepath.Join(src, e.Name()))
				if got, err := os.ReadFile(filepath.Join(dst, src, e.Name())); err == nil && bytes.Equal(got, want) {
					intact++
				}
			}
			if intact != len(entries)-tc.wantLost {
				t.Errorf("%d of %d files restore intact, want %d", intact, len(entries), len(entries)-tc.wantLost)
			}
		})
	}
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	for _, args := range [][]string{{"0123"}, {strings.Repeat("ab", 32)}} {
		if _, errOut, code := c.run(append([]string{"repair", "packs", "--backup-dir", ""}, args...)...); code != 1 || !strings.Contains(errOut, "pack") {
			t.Errorf("repair packs %q: exit %d, %q; want exit 1 and why", args, code, errOut)
		}
	}
}
