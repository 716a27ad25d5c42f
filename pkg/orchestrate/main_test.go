package orchestrate_test

import (
	"os"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/bubble"
)

// TestMain prepares the process-wide caches for the synctest bubbles.
func TestMain(m *testing.M) {
	bubble.Prepare()
	os.Exit(m.Run())
}
