package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// drydockImage is what `make image` (scripts/build-image.sh) builds.
const drydockImage = "drydock:latest"

// buildDrydockImage runs scripts/build-image.sh, which does nothing when
// the image already holds the binary of this tree (it only rebuilds the
// binary to compare); the first build of the base takes a minute or two
// and is cached as a tarball.
func buildDrydockImage(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "bash", "../../scripts/build-image.sh").CombinedOutput()
	if err != nil && strings.Contains(string(out), "debootstrap missing") {
		testenv.RequireOrSkip(t, false, "scripts/build-image.sh needs debootstrap for the base image: %s", out)
	}
	if err != nil {
		t.Fatalf("scripts/build-image.sh: %v\n%s", err, out)
	}
	t.Logf("scripts/build-image.sh (%v):\n%s", time.Since(start).Round(time.Second), out)
}

// buildImageAs builds the image of this tree under its own tag, so that
// other tests building drydock:latest from other trees at the same time
// cannot swap the binary under this test; it is removed at the end.
func buildImageAs(t *testing.T, tag string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/build-image.sh")
	cmd.Env = append(os.Environ(), "IMAGE="+tag)
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "debootstrap missing") {
		testenv.RequireOrSkip(t, false, "scripts/build-image.sh needs debootstrap for the base image: %s", out)
	}
	if err != nil {
		t.Fatalf("scripts/build-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
}

// dockerSocket is the host path of the Docker socket the tests talk to.
func dockerSocket() string {
	if h, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		return h
	}
	return "/var/run/docker.sock"
}

// TestImageVolumesBackup runs drydock:latest as the README says (socket,
// volumes at their host path, secrets as files under /run/secrets, host
// network for a repository on the host's loopback): it backs up a labelled
// volume, stopping and starting the container that uses it through the
// socket, into MinIO, and stock restic restores the volume exactly.
func TestImageVolumesBackup(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	dockerBin := testenv.RequireBinary(t, "docker")
	env := dockertest.New(t)
	testenv.RequireOrSkip(t, os.Geteuid() == 0, "volume data under the Docker root is readable by root only: run as root")
	env.CheckRunning = true
	srv := miniotest.Start(t)
	buildDrydockImage(t)

	ins, err := env.Cli.ImageInspect(t.Context(), drydockImage)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ins.Config
	if !slices.Equal(cfg.Entrypoint, []string{"/usr/local/bin/drydock"}) || !slices.Equal(cfg.Cmd, []string{"daemon"}) ||
		cfg.StopSignal != "SIGTERM" || cfg.User != "" {
		t.Errorf("image config: entrypoint %q, cmd %q, stop signal %q, user %q; want drydock, daemon, SIGTERM, root",
			cfg.Entrypoint, cfg.Cmd, cfg.StopSignal, cfg.User)
	}
	if _, ok := cfg.Volumes["/var/lib/drydock"]; !ok {
		t.Errorf("image volumes %v: want /var/lib/drydock", cfg.Volumes)
	}

	// A labelled volume holding the fixture (files of every kind, owners,
	// modes, times, hard links), used by a running container.
	vol := env.Volume("image", map[string]string{appplan.LabelBackup: "true"})
	v, err := env.Cli.VolumeInspect(t.Context(), vol)
	if err != nil {
		t.Fatal(err)
	}
	mp := v.Mountpoint
	// drydock reads volumes at their mountpoints: the volumes directory is
	// bind-mounted at the same path inside the container.
	volumesDir := filepath.Dir(filepath.Dir(mp))
	fixture.Build(t, mp)
	app := env.Container(dockertest.Spec{Name: "image-app", Mounts: []string{vol + ":/data"}, Cmd: []string{"run"}})
	startedBefore, _ := env.Times(app)

	secrets := t.TempDir()
	const password = "image test password"
	for name, val := range map[string]string{
		"password":              password,
		"aws_access_key_id":     srv.AccessKey,
		"aws_secret_access_key": srv.SecretKey,
	} {
		if err := os.WriteFile(filepath.Join(secrets, name), []byte(val+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	state := t.TempDir()
	repoURL := "s3:" + srv.URL() + "/" + uniqueBucket("image")

	n := 0
	docker := func(network string, args ...string) (string, error) {
		t.Helper()
		n++
		name := env.Name("drydock-" + string(rune('a'+n)))
		t.Cleanup(func() { _ = exec.Command(dockerBin, "rm", "-f", name).Run() })
		argv := []string{"run", "--rm", "--name", name, "--network", network,
			"-v", dockerSocket() + ":/var/run/docker.sock",
			"-v", volumesDir + ":" + volumesDir,
			"-v", secrets + ":/run/secrets:ro",
			"-v", state + ":/var/lib/drydock",
			"-e", "RESTIC_REPOSITORY=" + repoURL,
			"-e", "RESTIC_PASSWORD_FILE=/run/secrets/password",
			"-e", "AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws_access_key_id",
			"-e", "AWS_SECRET_ACCESS_KEY_FILE=/run/secrets/aws_secret_access_key",
			drydockImage}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, dockerBin, append(argv, args...)...).CombinedOutput()
		t.Logf("docker run %s %s: %v\n%s", drydockImage, strings.Join(args, " "), err, out)
		return string(out), err
	}
	mustDocker := func(args ...string) string {
		t.Helper()
		out, err := docker("host", args...)
		if err != nil {
			t.Fatalf("docker run %s %s: %v\n%s", drydockImage, strings.Join(args, " "), err, out)
		}
		return out
	}

	// The entrypoint is drydock, without any network.
	if out, err := docker("none", "--help"); err != nil || !strings.Contains(out, "drydock [command]") || !strings.Contains(out, "volumes") {
		t.Fatalf("docker run %s --help: %v\n%s", drydockImage, err, out)
	}
	mustDocker("init")
	// Only this test's volume: other tests' labelled apps are not ours to stop.
	mustDocker("volumes", "backup", vol)

	if startedAfter, _ := env.Times(app); !startedAfter.After(startedBefore) {
		t.Errorf("the app was not stopped and started through the socket (started %v, before %v)", startedAfter, startedBefore)
	}
	// The host lock (and stop journal) volume, made through the socket and
	// reached at its host path.
	if hl, err := env.Cli.VolumeInspect(t.Context(), volume.HostLockVolume); err != nil || hl.Labels[appplan.LabelHostLock] == "" {
		t.Errorf("host lock volume %s: %v %v", volume.HostLockVolume, err, hl.Labels)
	} else if _, err := os.Stat(filepath.Join(hl.Mountpoint, volume.HostLockFile)); err != nil {
		t.Errorf("no host lock file: %v", err)
	}

	c := newCLI(t, repoURL)
	c.env["RESTIC_PASSWORD"] = password
	c.env["AWS_ACCESS_KEY_ID"] = srv.AccessKey
	c.env["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	var snaps []struct {
		Paths []string `json:"paths"`
		Tags  []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(c.mustRestic(resticBin, "snapshots", "--json")), &snaps); err != nil {
		t.Fatal(err)
	}
	// The snapshot's paths are the volume's host path (and may name drydock's
	// own metadata besides).
	if len(snaps) != 1 || !slices.Contains(snaps[0].Paths, mp) || !slices.Contains(snaps[0].Tags, "volume="+vol) {
		t.Fatalf("restic snapshots: %+v, want one of %s tagged volume=%s", snaps, mp, vol)
	}
	if out := c.mustRestic(resticBin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
	dst := t.TempDir()
	c.mustRestic(resticBin, "restore", "latest", "--target", dst)
	fixture.Compare(t, mp, filepath.Join(dst, mp), resticRestoreOptions)
}
