package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestListingLockWait: snapshots, ls and find, which read only snapshot
// files and trees, check their shared lock again at once; the other
// listing commands wait restic's 200 ms before their second check
// (docs/format.md §9). In a synctest bubble only waits move the clock,
// so the time a command takes there is the time it waited.
func TestListingLockWait(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "needle"), []byte("hay"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RESTIC_PASSWORD", "listing-lock")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		root := newRootCommand(&out, &out)
		root.SetArgs(append([]string{"-q", "-r", dir}, args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("drydock %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	run(t, "init")
	run(t, "backup", data)
	for _, tc := range []struct {
		args []string
		wait time.Duration
	}{
		{[]string{"snapshots"}, 0},
		{[]string{"ls", "latest"}, 0},
		{[]string{"find", "needle"}, 0},
		{[]string{"stats"}, 200 * time.Millisecond},
		{[]string{"list", "snapshots"}, 200 * time.Millisecond},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			// Once outside the bubble, so that process-wide caches (the
			// zstd decoder's goroutines) do not belong to one.
			run(t, tc.args...)
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				out := run(t, tc.args...)
				if got := time.Since(start); got != tc.wait {
					t.Errorf("took %v of waits, want %v", got, tc.wait)
				}
				if out == "" {
					t.Error("printed nothing")
				}
			})
		})
	}
}
