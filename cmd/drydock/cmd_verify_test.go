package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// verifyJSON is the --json output of verify.
type verifyJSON struct {
	SnapshotID    string `json:"snapshot_id"`
	Files         int    `json:"files"`
	Dirs          int    `json:"dirs"`
	Symlinks      int    `json:"symlinks"`
	Other         int    `json:"other"`
	Bytes         uint64 `json:"bytes"`
	Blobs         int    `json:"blobs"`
	MismatchCount int    `json:"mismatch_count"`
	Mismatches    []struct {
		Path string `json:"path"`
		Kind string `json:"kind"`
		Want string `json:"want"`
		Got  string `json:"got"`
	} `json:"mismatches"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

func (c *cli) verifyJSON(args ...string) (verifyJSON, int) {
	c.t.Helper()
	out, errOut, code := c.run(append([]string{"verify", "--json"}, args...)...)
	var v verifyJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		c.t.Fatalf("verify --json: %v\n%s%s", err, out, errOut)
	}
	return v, code
}

func assertEmptyScratch(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("scratch directory holds %v after verify", entries)
	}
}

// TestVerifyFixture verifies the latest snapshot of the fixture tree,
// written by drydock and by stock restic: it passes, and every count
// matches what the fixture holds.
func TestVerifyFixture(t *testing.T) {
	src := t.TempDir()
	m := fixture.Build(t, src)
	var bytes uint64
	for _, f := range m.Files {
		fi, err := os.Lstat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		bytes += uint64(fi.Size())
	}
	dirs := len(m.Dirs) + len(strings.Split(strings.Trim(src, "/"), "/"))
	for _, tt := range []struct {
		name   string
		backup func(c *cli)
	}{
		{"written by drydock", func(c *cli) { c.must("init"); c.must("backup", src) }},
		{"written by restic", func(c *cli) {
			bin := testenv.RequireBinary(t, "restic")
			c.mustRestic(bin, "init")
			c.mustRestic(bin, "backup", src)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
			tt.backup(c)
			scratch := t.TempDir()
			v, code := c.verifyJSON("--scratch", scratch)
			if code != 0 || !v.OK || v.MismatchCount != 0 || v.Error != "" {
				t.Fatalf("verify: exit %d, %+v", code, v)
			}
			if v.Files != len(m.Files) || v.Dirs != dirs || v.Symlinks != len(m.Symlinks) || v.Other != len(m.Fifos) ||
				v.Bytes != bytes || v.Blobs < len(m.Files)-1 {
				t.Errorf("counts %+v; want %d files, %d dirs, %d symlinks, %d other, %d bytes", v, len(m.Files), dirs, len(m.Symlinks), len(m.Fifos), bytes)
			}
			assertEmptyScratch(t, scratch)
			out := c.must("verify", "--scratch", scratch, v.SnapshotID[:8])
			if !strings.Contains(out, "snapshot "+v.SnapshotID[:8]+" verified") {
				t.Errorf("verify output:\n%s", out)
			}
			assertEmptyScratch(t, scratch)
		})
	}
}

// TestVerifyFilters: --host, --path and --tag pick the latest snapshot of
// a set, as restic's filters do.
func TestVerifyFilters(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	srcA, srcB := t.TempDir(), t.TempDir()
	writeRandomFiles(t, srcA, 2, 10000)
	writeRandomFiles(t, srcB, 3, 20000)
	var ids []string
	for _, args := range [][]string{
		{"--host", "host-a", srcA},
		{"--host", "host-b", "--tag", "x", "--tag", "y", srcA},
		{"--host", "host-a", "--tag", "z", srcB},
	} {
		var sum backupSummary
		if err := json.Unmarshal([]byte(c.must(append([]string{"backup", "--json"}, args...)...)), &sum); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sum.SnapshotID)
		// Distinct snapshot times, so that "latest" is well defined: the
		// wall clock moving on is what is waited for.
		time.Sleep(10 * time.Millisecond)
	}
	for _, tt := range []struct {
		args []string
		want int // index into ids
	}{
		{nil, 2},
		{[]string{"latest"}, 2},
		{[]string{ids[0][:8]}, 0},
		{[]string{"--host", "host-b"}, 1},
		{[]string{"--host", "host-a"}, 2},
		{[]string{"-H", "host-b", "-H", "host-a"}, 2},
		{[]string{"--tag", "x"}, 1},
		{[]string{"--tag", "x,y"}, 1},
		{[]string{"--tag", "y", "--tag", "z"}, 2},
		{[]string{"--tag", ""}, 0},
		{[]string{"--path", srcA}, 1},
		{[]string{"--path", srcA + "/"}, 1},
		{[]string{"--host", "host-a", "--path", srcA}, 0},
		{[]string{"--host", "host-a", "--tag", ""}, 0},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			v, code := c.verifyJSON(append([]string{"--scratch", t.TempDir()}, tt.args...)...)
			if code != 0 || v.SnapshotID != ids[tt.want] {
				t.Errorf("exit %d, verified snapshot %.8s, want %.8s", code, v.SnapshotID, ids[tt.want])
			}
		})
	}
	for _, args := range [][]string{{"--host", "nobody"}, {"--tag", "x,z"}, {"--path", "/nowhere"}, {"--host", "host-b", ids[0][:8]}} {
		_, errOut, code := c.run(append([]string{"verify"}, args...)...)
		if code != exitFailure || !strings.Contains(errOut, "no matching snapshot") || !strings.Contains(errOut, "among snapshots with") {
			t.Errorf("verify %v: exit %d, %s", args, code, errOut)
		}
	}
}

// TestVerifyCorruptPack: a flipped byte in the data pack makes the test
// restore fail on the blob's MAC; verify exits 1 saying so, and leaves
// nothing in the scratch directory.
func TestVerifyCorruptPack(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	src := t.TempDir()
	writeRandomFiles(t, src, 3, 700<<10)
	c := newCLI(t, repoDir)
	c.must("init")
	c.must("backup", src)
	flipByte(t, largestFile(t, filepath.Join(repoDir, "data")))
	scratch := t.TempDir()
	_, errOut, code := c.run("verify", "--scratch", scratch)
	if code != exitFailure || !strings.Contains(errOut, "verify snapshot") || !strings.Contains(errOut, "ciphertext verification failed") {
		t.Errorf("verify of a damaged repository: exit %d\n%s", code, errOut)
	}
	v, code := c.verifyJSON("--scratch", scratch)
	if code != exitFailure || v.OK || !strings.Contains(v.Error, "ciphertext verification failed") {
		t.Errorf("verify --json of a damaged repository: exit %d, %+v", code, v)
	}
	assertEmptyScratch(t, scratch)
}

// TestVerifyMismatch: a snapshot whose file node claims more bytes than its
// blobs hold fails the test restore (the restorer names the file and the
// sizes, see TestRestoreSnapshotThatContradictsItself); verify says so and
// exits 1.
func TestVerifyMismatch(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	writeLyingSnapshot(t, repoDir, c.env["RESTIC_PASSWORD"])
	scratch := t.TempDir()
	const named = "/liar: the snapshot says the file has 100 bytes, its content has 5"
	out, errOut, code := c.run("verify", "--scratch", scratch)
	if code != exitFailure || !strings.Contains(errOut, named) || strings.Contains(out, "verified") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	v, code := c.verifyJSON("--scratch", scratch)
	if code != exitFailure || v.OK || !strings.Contains(v.Error, named) {
		t.Errorf("verify --json: exit %d, %+v", code, v)
	}
	assertEmptyScratch(t, scratch)
}

// writeLyingSnapshot stores a snapshot of two files: /honest, and /liar,
// whose node says 100 bytes while its one blob holds 5.
func writeLyingSnapshot(t *testing.T, dir, password string) {
	t.Helper()
	ctx := context.Background()
	be, err := local.Open(ctx, dir)
	must(t, err)
	r, err := repo.Open(ctx, be, password, repo.Options{})
	must(t, err)
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	file := func(name string, data []byte, size uint64) *format.Node {
		return &format.Node{Name: name, Type: format.NodeFile, Mode: 0o644, ModTime: mtime, AccessTime: mtime,
			Size: size, Links: 1, Content: format.IDs{format.Hash(data)}}
	}
	var root format.ID
	_, err = r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		for _, b := range [][]byte{[]byte("hello"), []byte("honest content\n")} {
			if _, _, err := s.SaveBlob(ctx, format.DataBlob, b); err != nil {
				return err
			}
		}
		tree, err := format.EncodeTree([]*format.Node{file("liar", []byte("hello"), 100), file("honest", []byte("honest content\n"), 15)})
		if err != nil {
			return err
		}
		root, _, err = s.SaveBlob(ctx, format.TreeBlob, tree)
		return err
	})
	must(t, err)
	_, err = r.SaveSnapshot(ctx, &format.Snapshot{Time: mtime, Tree: &root, Paths: []string{"/liar", "/honest"}, Hostname: "test"})
	must(t, err)
}
