package orchestrate_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/drydock-backup/drydock/internal/testkit/bubble"
	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
)

// TestMain prepares the process-wide caches for the synctest bubbles, and
// fails the package if a goroutine outlives its tests: every daemon the
// tests start must stop everything it started (scheduler, HTTP server,
// lock refreshes, pooled repositories). The console's apps test builds
// pkg/volume's test image, which dockertest.Main removes afterwards.
func TestMain(m *testing.M) {
	bubble.Prepare()
	code := dockertest.Main(m, "../volume/internal/testapp")
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
