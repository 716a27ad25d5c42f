package testenv

import (
	"os/exec"
	"testing"
)

// RequireBinary returns the path of the named executable from PATH. If it
// is missing the test is skipped locally and fails under CI=true.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	RequireOrSkip(t, err == nil, "%s not found in PATH (%v); install it (Debian: apt-get install -y %s)", name, err, name)
	return p
}
