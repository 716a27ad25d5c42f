package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Mount runs mount(8) with args, the mount point last, and unmounts it
// when the test ends. Mounting needs root: without it the test is
// skipped (failed under CI=true).
func Mount(t testing.TB, args ...string) {
	t.Helper()
	RequireOrSkip(t, os.Geteuid() == 0, "mounting needs root")
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Fatalf("mount %v: %v\n%s", args, err, out)
	}
	target := args[len(args)-1]
	t.Cleanup(func() {
		if out, err := exec.Command("umount", target).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", target, err, out)
		}
	})
}

// IsMountpoint reports whether dir is a mount point of this process's
// mount namespace, from /proc/self/mountinfo.
func IsMountpoint(t testing.TB, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}
