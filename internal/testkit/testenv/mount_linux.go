package testenv

import (
	"os"
	"os/exec"
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
