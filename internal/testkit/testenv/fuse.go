package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireFUSE skips (fails under CI=true) where no FUSE mount can be
// made: no /dev/fuse, or no fusermount helper (Debian: fuse3).
func RequireFUSE(t testing.TB) {
	t.Helper()
	_, err := os.Stat("/dev/fuse")
	RequireOrSkip(t, err == nil, "no /dev/fuse (%v): FUSE tests need the fuse kernel module", err)
	_, err3 := exec.LookPath("fusermount3")
	_, err2 := exec.LookPath("fusermount")
	RequireOrSkip(t, err3 == nil || err2 == nil, "no fusermount3 or fusermount in PATH: install Debian's fuse3")
}
