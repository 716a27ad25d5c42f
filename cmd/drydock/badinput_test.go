package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

func TestExitCodes(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, repoDir)

	if _, errOut, code := c.run("snapshots"); code != exitNoRepo || !strings.Contains(errOut, "does not exist") {
		t.Errorf("snapshots without a repository: exit %d, %q; want %d", code, errOut, exitNoRepo)
	}
	c.must("init")
	if _, _, code := c.run("init"); code != exitFailure {
		t.Errorf("second init: exit %d, want %d", code, exitFailure)
	}
	c.must("backup", src)

	wrong := &cli{t: t, env: map[string]string{"RESTIC_REPOSITORY": repoDir, "RESTIC_PASSWORD": "not it"}}
	if _, errOut, code := wrong.run("snapshots"); code != exitWrongPass || !strings.Contains(errOut, "wrong password") {
		t.Errorf("wrong password: exit %d, %q; want %d", code, errOut, exitWrongPass)
	}

	// Another process holds an exclusive lock (as restic's prune would).
	r := c.openRepo(repoDir)
	unlock := repotest.HoldLock(t, r, true)
	if _, errOut, code := c.run("backup", src); code != exitLocked || !strings.Contains(errOut, "locked") {
		t.Errorf("backup under an exclusive lock: exit %d, %q; want %d", code, errOut, exitLocked)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := c.run("restore", "deadbeef", "--target", t.TempDir()); code != exitFailure || !strings.Contains(errOut, "no matching snapshot") {
		t.Errorf("restore of a missing snapshot: exit %d, %q", code, errOut)
	}
	if _, _, code := c.run("backup", filepath.Join(src, "missing")); code != exitFailure {
		t.Errorf("backup of a missing path: exit %d, want %d", code, exitFailure)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// drydockBinary builds the command once per test run, for tests that need
// a separate process (another user, a signal).
func drydockBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "drydock-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "drydock")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// TestUnreadableFile runs a backup as an unprivileged user over a tree
// with a file it cannot read: the snapshot is written without that file,
// the rest is intact, and the exit code is restic's 3.
func TestUnreadableFile(t *testing.T) {
	setpriv := testenv.RequireBinary(t, "setpriv")
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	base, err := os.MkdirTemp("", "drydock-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	src, repoDir := filepath.Join(base, "src"), filepath.Join(base, "repo")
	for _, d := range []string{base, src} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range map[string]os.FileMode{"readable": 0o644, "secret": 0o600} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	bin := drydockBinary(t)
	run := func(args ...string) (string, int) {
		cmd := exec.CommandContext(context.Background(), setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
		cmd.Env = []string{"RESTIC_REPOSITORY=" + repoDir, "RESTIC_PASSWORD=pw", "HOME=" + base, "PATH=/usr/bin:/bin"}
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	if out, code := run("init"); code != 0 {
		t.Fatalf("init as nobody: exit %d\n%s", code, out)
	}
	out, code := run("backup", src)
	if code != exitIncomplete || !strings.Contains(out, "secret") || !strings.Contains(out, "permission denied") {
		t.Fatalf("backup with an unreadable file: exit %d, want %d, and a warning naming it\n%s", code, exitIncomplete, out)
	}
	ls, code := run("ls", "latest")
	if code != 0 || !strings.Contains(ls, src+"/readable") || strings.Contains(ls, src+"/secret") {
		t.Fatalf("the snapshot must hold the readable file and not the unreadable one (exit %d):\n%s", code, ls)
	}
}

// TestCheckFindsCorruption: a flipped byte in a pack is invisible to the
// structural check but found by --read-data, with exit code 1; a deleted
// pack and a truncated index file are found without reading data.
func TestCheckFindsCorruption(t *testing.T) {
	for _, c := range []struct {
		name     string
		dir      string // the largest file in this directory is damaged
		damage   func(t *testing.T, path string)
		readData bool // only --read-data can see it
	}{
		{"flipped byte in pack", "data", flipByte, true},
		{"deleted pack", "data", func(t *testing.T, p string) { must(t, os.Remove(p)) }, false},
		{"truncated index", "index", func(t *testing.T, p string) { must(t, os.Truncate(p, 40)) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			repoDir := filepath.Join(t.TempDir(), "repo")
			src := t.TempDir()
			writeRandomFiles(t, src, 3, 700<<10)
			cl := newCLI(t, repoDir)
			cl.must("init")
			cl.must("backup", src)
			cl.must("check", "--read-data")
			c.damage(t, largestFile(t, filepath.Join(repoDir, c.dir)))
			out, _, code := cl.run("check")
			if c.readData && code != 0 {
				t.Fatalf("structural check failed on damage it cannot see: exit %d\n%s", code, out)
			}
			if !c.readData && code != exitFailure {
				t.Fatalf("check: exit %d, want %d\n%s", code, exitFailure, out)
			}
			out, errOut, code := cl.run("check", "--read-data")
			if code != exitFailure || !strings.Contains(errOut, "contains errors") {
				t.Fatalf("check --read-data: exit %d, want %d\n%s%s", code, exitFailure, out, errOut)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// largestFile returns the largest regular file below dir (packs live in
// data/xx/; the largest is a data pack, not the small tree pack), made
// writable so that a test can damage it.
func largestFile(t *testing.T, dir string) string {
	t.Helper()
	var found string
	var size int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Size() > size {
			found, size = p, fi.Size()
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no file in %s", dir)
	}
	must(t, os.Chmod(found, 0o600))
	return found
}

func flipByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	b[len(b)/2] ^= 0xff
	must(t, os.WriteFile(p, b, 0o600))
}
