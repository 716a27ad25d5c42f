package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/internal/testenv"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend/local"
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
	be, err := local.Open(t.Context(), repoDir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, c.env["RESTIC_PASSWORD"], repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lock, _, err := r.Lock(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := c.run("backup", src); code != exitLocked || !strings.Contains(errOut, "locked") {
		t.Errorf("backup under an exclusive lock: exit %d, %q; want %d", code, errOut, exitLocked)
	}
	if err := lock.Unlock(); err != nil {
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
