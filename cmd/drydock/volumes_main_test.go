package main

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
)

// TestMain lets the volumes tests build pkg/volume's test image (a static
// program, no base image) and removes it afterwards. A run that passed
// fails if goroutines outlive the tests (goleak.VerifyTestMain's check,
// after dockertest.Main's m.Run): the commands run in-process here, and
// the daemon tests' helpers watch processes, sockets and Docker events.
func TestMain(m *testing.M) {
	code := dockertest.Main(m, "../../pkg/volume/internal/testapp")
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
