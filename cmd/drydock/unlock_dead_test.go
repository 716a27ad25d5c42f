package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestUnlockRemovesAJustKilledProcessLock: the lock of a process killed on
// this host a moment ago blocks check, prune and forget with exit 11 and a
// message that names its owner and says how to remove it; unlock removes it
// at once (no waiting for it to age), and prune then runs.
func TestUnlockRemovesAJustKilledProcessLock(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	r := c.openRepo(repoDir)
	victim := exec.Command("sleep", "60")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	_ = victim.Process.Kill()
	_ = victim.Wait()
	host, _ := os.Hostname()
	raw, _ := format.EncodeLock(&format.Lock{Time: time.Now(), Exclusive: true, Hostname: host, Username: "victim", PID: victim.Process.Pid})
	if _, err := r.SaveUnpacked(t.Context(), backend.LockFile, raw); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check"}, {"prune"}, {"forget", "--keep-last", "1"}} {
		_, errOut, code := c.run(args...)
		for _, want := range []string{"exclusive", host, "PID " + strconv.Itoa(victim.Process.Pid), "victim", "ago", "drydock unlock"} {
			if code != exitLocked || !strings.Contains(errOut, want) {
				t.Errorf("%s beside a killed process's lock: exit %d, want %d and %q in:\n%s", args[0], code, exitLocked, want, errOut)
			}
		}
	}
	if out := c.must("unlock"); !strings.Contains(out, "removed 1 lock(s), kept 0") {
		t.Fatalf("unlock: %s", out)
	}
	c.must("prune")
}

// TestLiveLockSaysHowToRemoveIt: a lock of a process that may be running
// (another host) blocks with exit 11, names its owner and points to
// --remove-all; plain unlock keeps it.
func TestLiveLockSaysHowToRemoveIt(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	r := c.openRepo(repoDir)
	raw, _ := format.EncodeLock(&format.Lock{Time: time.Now().Add(-time.Minute), Hostname: "other-host", Username: "ops", PID: 4242})
	if _, err := r.SaveUnpacked(t.Context(), backend.LockFile, raw); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.run("prune")
	for _, want := range []string{"non-exclusive", "other-host", "PID 4242", "ops", "drydock unlock --remove-all"} {
		if code != exitLocked || !strings.Contains(errOut, want) {
			t.Errorf("prune: exit %d, want %d and %q in:\n%s", code, exitLocked, want, errOut)
		}
	}
	if out := c.must("unlock"); !strings.Contains(out, "removed 0 lock(s), kept 1") {
		t.Fatalf("unlock: %s", out)
	}
	c.must("unlock", "--remove-all")
	c.must("prune")
}
