package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestUnlockRemovesADeadProcessLock: the lock of a drydock killed on this
// host blocks prune (exit code of a failed lock, with the hint); unlock
// removes it and nothing else; prune then runs and restic sees no lock.
func TestUnlockRemovesADeadProcessLock(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	r := c.openRepo(repoDir)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	raw, _ := format.EncodeLock(&format.Lock{Time: time.Now().Add(-7 * time.Minute), Hostname: host, Username: "x", PID: dead.Process.Pid})
	if _, err := r.SaveUnpacked(t.Context(), backend.LockFile, raw); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.run("prune")
	if code != exitLocked || !strings.Contains(errOut, "drydock unlock") {
		t.Fatalf("prune beside a dead process's lock: exit %d, %s", code, errOut)
	}
	if out := c.must("unlock"); !strings.Contains(out, "removed 1 lock(s), kept 0") {
		t.Fatalf("unlock: %s", out)
	}
	c.must("prune")
	if out := c.mustRestic(bin, "list", "locks"); strings.TrimSpace(out) != "" {
		t.Fatalf("restic still lists locks: %q", out)
	}
}
