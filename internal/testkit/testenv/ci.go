// Package testenv holds small helpers that decide how tests react to their
// environment.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run under CI (env CI=true), where a missing
// external component (a MinIO binary, restic) is a failure, not a skip.
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// RequireOrSkip stops the test when ok is false: it skips locally and fails
// under CI=true, so CI cannot silently pass without running the test. The
// message should say what is missing and how to provide it.
func RequireOrSkip(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}
