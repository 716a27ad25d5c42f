package orchestrate_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/drydock-backup/drydock/internal/testkit/bubble"
)

// TestMain prepares the process-wide caches for the synctest bubbles, and
// fails the package if a goroutine outlives its tests: every daemon the
// tests start must stop everything it started (scheduler, HTTP server,
// lock refreshes, pooled repositories).
func TestMain(m *testing.M) {
	bubble.Prepare()
	goleak.VerifyTestMain(m)
}
