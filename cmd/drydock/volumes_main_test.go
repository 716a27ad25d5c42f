package main

import (
	"os"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
)

// TestMain lets the volumes tests build pkg/volume's test image (a static
// program, no base image) and removes it afterwards.
func TestMain(m *testing.M) { os.Exit(dockertest.Main(m, "../../pkg/volume/internal/testapp")) }
