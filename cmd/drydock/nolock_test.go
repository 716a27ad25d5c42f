package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
)

// TestNoLock: while another process holds an exclusive lock (a prune on
// another host), each command that only reads runs under --no-lock, as
// restic's do, and takes no lock of its own; without the flag it is
// refused as locked. A command that writes locks as usual under --no-lock
// and says so.
func TestNoLock(t *testing.T) {
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("content"), 0o644))
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	c.must("backup", src)
	c.must("backup", src)
	unlock := repotest.HoldLock(t, c.openRepo(repoDir), true)
	defer func() { _ = unlock() }()
	locks := func() int {
		ents, err := os.ReadDir(filepath.Join(repoDir, "locks"))
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}

	for _, args := range [][]string{
		{"snapshots"},
		{"ls", "latest"},
		{"find", "f"},
		{"dump", "latest", filepath.Join(src, "f")},
		{"restore", "latest", "--target", t.TempDir()},
		{"stats"},
		{"diff", "latest", "latest"},
		{"check"},
		{"cat", "snapshot", "latest"},
		{"list", "snapshots"},
		{"key", "list"},
		{"forget", "--dry-run", "--keep-last", "1"},
		{"prune", "--dry-run"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if _, _, code := c.run(args...); code != exitLocked {
				t.Errorf("without --no-lock: exit %d, want %d (locked)", code, exitLocked)
			}
			_, errOut, code := c.run(append([]string{"--no-lock"}, args...)...)
			if code != exitOK || errOut != "" {
				t.Errorf("with --no-lock: exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			if n := locks(); n != 1 {
				t.Errorf("%d lock files after the run, want only the one held", n)
			}
		})
	}

	for _, args := range [][]string{
		{"backup", src},
		{"forget", "--keep-last", "1"},
		{"tag", "--add", "x", "latest"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, errOut, code := c.run(append([]string{"--no-lock"}, args...)...)
			if code != exitLocked || !strings.Contains(errOut, "--no-lock does not apply to drydock "+args[0]) {
				t.Errorf("exit %d, stderr %q; want %d (locked) and a warning that --no-lock does not apply", code, errOut, exitLocked)
			}
		})
	}
}
