package testenv

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

var docker struct {
	once sync.Once
	cli  *client.Client
	err  error
}

// Docker returns a client for the Docker daemon that the environment names
// (DOCKER_HOST, default unix:///var/run/docker.sock). When the daemon does
// not answer, the test is skipped, or fails when CI=true: CI must run the
// Docker tests (scripts/start-dockerd.sh starts a daemon). The client is
// shared by the whole test binary; do not close it.
func Docker(t testing.TB) *client.Client {
	t.Helper()
	docker.once.Do(func() {
		cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
		if err != nil {
			docker.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := cli.Ping(ctx); err != nil {
			_ = cli.Close()
			docker.err = err
			return
		}
		cli.NegotiateAPIVersion(ctx)
		docker.cli = cli
	})
	RequireOrSkip(t, docker.err == nil, "Docker daemon not reachable (start one with scripts/start-dockerd.sh): %v", docker.err)
	return docker.cli
}

// CloseDocker closes the shared client once the tests are done (from
// TestMain, after m.Run): its idle connection to the daemon would
// otherwise outlive them, and goleak would report its goroutines.
func CloseDocker() {
	if docker.cli != nil {
		_ = docker.cli.Close()
	}
}
