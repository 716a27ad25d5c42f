package testenv_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestEventually: it returns as soon as the condition holds, polls at the
// interval, and gives up at the timeout after a last try.
func TestEventually(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		calls := 0
		if !testenv.Eventually(time.Minute, 100*time.Millisecond, func() bool { calls++; return time.Since(start) >= time.Second }) {
			t.Fatal("a condition that holds after 1 s was not seen within a minute")
		}
		if d := time.Since(start); d != time.Second || calls != 11 {
			t.Errorf("returned after %v and %d calls, want 1s and 11", d, calls)
		}

		start, calls = time.Now(), 0
		if testenv.Eventually(time.Second, 300*time.Millisecond, func() bool { calls++; return false }) {
			t.Fatal("a condition that never holds was reported to")
		}
		if d := time.Since(start); d != time.Second || calls != 5 {
			t.Errorf("gave up after %v and %d calls, want 1s and 5 (0, 0.3, 0.6, 0.9, 1 s)", d, calls)
		}
	})
}
