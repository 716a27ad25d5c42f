package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// agentConfig is the daemon's configuration in the agent test: one local
// repository, a job that is not due, the default listen address.
const agentConfig = `state_dir: /var/lib/drydock
repositories:
  main:
    location: /repo
    password_file: /run/secrets/password
jobs:
  etc:
    repository: main
    schedule: "@yearly"
    paths: [/etc]
`

// TestImageAgentHealthAndExec runs the image as the agent (a daemon with
// its configuration at /etc/drydock/drydock.yaml): the image's
// HEALTHCHECK turns it healthy, and `docker exec AGENT drydock snapshots`
// reads the daemon's repository without any -e.
func TestImageAgentHealthAndExec(t *testing.T) {
	dockerBin := testenv.RequireBinary(t, "docker")
	env := dockertest.New(t)
	tag := env.Name("drydock-agent-image") + ":test"
	buildImageAs(t, tag)
	ins, err := env.Cli.ImageInspect(t.Context(), tag)
	if err != nil {
		t.Fatal(err)
	}
	if hc := ins.Config.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/usr/local/bin/drydock", "status", "--quiet"}) {
		t.Fatalf("image healthcheck %+v", hc)
	}

	// The repository, with one snapshot, made on the host.
	dir := t.TempDir()
	repoDir, secrets, cfg := filepath.Join(dir, "repo"), filepath.Join(dir, "secrets"), filepath.Join(dir, "drydock.yaml")
	writeFile(t, filepath.Join(secrets, "password"), []byte("agent password\n"))
	writeFile(t, cfg, []byte(agentConfig))
	c := newCLI(t, repoDir)
	c.env["RESTIC_PASSWORD"] = "agent password"
	c.must("init")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte("agent"))
	c.must("backup", "--tag", "made-on-host", src)

	name := env.Name("drydock-agent")
	t.Cleanup(func() { _ = exec.Command(dockerBin, "rm", "-f", "-v", name).Run() })
	docker := func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, dockerBin, args...).CombinedOutput()
		t.Logf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		return string(out), err
	}
	// The image's check, run every second instead of every minute.
	if out, err := docker("run", "-d", "--name", name, "--network", "none", "--health-interval", "1s",
		"-v", repoDir+":/repo", "-v", secrets+":/run/secrets:ro",
		"-v", cfg+":/etc/drydock/drydock.yaml:ro", tag); err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	var health string
	var herr error
	if !testenv.Eventually(2*time.Minute, 500*time.Millisecond, func() bool {
		health, herr = docker("inspect", "--format", "{{.State.Health.Status}}", name)
		return herr == nil && strings.TrimSpace(health) == "healthy"
	}) {
		logs, _ := docker("logs", name)
		t.Fatalf("the agent did not turn healthy (last: %s, %v):\n%s", health, herr, logs)
	}
	out, err := docker("exec", name, "drydock", "snapshots")
	if err != nil || !strings.Contains(out, "made-on-host") {
		t.Errorf("docker exec %s drydock snapshots: %v\n%s", name, err, out)
	}
	// The check fails when the daemon is not there to answer.
	if out, err := docker("exec", name, "drydock", "status", "--quiet", "--addr", "127.0.0.1:1"); err == nil {
		t.Errorf("status against no daemon succeeded:\n%s", out)
	}
}
