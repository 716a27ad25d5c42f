package testproc

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestKillTreeReachesGrandchildren starts a shell whose child detaches into
// a session of its own, as sshd's sessions do, and checks KillTree ends it.
func TestKillTreeReachesGrandchildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "setsid sleep 300 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var child int
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	for _, c := range buf[:n] {
		if c >= '0' && c <= '9' {
			child = child*10 + int(c-'0')
		}
	}
	if child == 0 {
		t.Fatalf("no child pid in %q", buf[:n])
	}
	KillTree(cmd)
	_ = cmd.Wait()
	if !testenv.Eventually(5*time.Second, 20*time.Millisecond, func() bool { return !alive(child) }) {
		_ = syscall.Kill(child, syscall.SIGKILL)
		t.Fatalf("grandchild %d survived KillTree", child)
	}
}

// alive reports whether pid runs; a killed process not yet reaped by its
// new parent is a zombie and counts as ended.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
