// Package dockertest runs tests against a real Docker engine: it builds a
// tiny test image from a static Go program, and creates uniquely named
// containers and volumes that are removed when the test ends, even when it
// fails. Containers never get a network (NetworkMode "none").
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// image is built once per test binary and removed by Main.
var img struct {
	pkg  string // Go package of the program, relative to the test's dir
	once sync.Once
	ref  string
	err  error
	cli  *client.Client
}

// Main runs the tests of a package that uses this harness and removes the
// test image afterwards. pkg is the Go package built into the image as
// /testapp, e.g. "./internal/testapp". Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dockertest.Main(m, "./internal/testapp")) }
func Main(m *testing.M, pkg string) int {
	img.pkg = pkg
	hadLock := hostLockVolumeExists()
	code := m.Run()
	if !hadLock {
		removeHostLockVolume()
	}
	if img.ref != "" && img.cli != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := img.cli.ImageRemove(ctx, img.ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			fmt.Fprintf(os.Stderr, "dockertest: remove image %s: %v\n", img.ref, err)
		}
	}
	testenv.CloseDocker()
	return code
}

// hostLockVolume is pkg/volume's HostLockVolume: the drydock runs of the
// tests create it on the engine; Main removes it again if it was not
// there before.
const hostLockVolume = "drydock-hostlock"

func hostLockVolumeExists() bool {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return false
	}
	defer cli.Close()
	_, err = cli.VolumeInspect(context.Background(), hostLockVolume)
	return err == nil
}

// removeHostLockVolume removes the volume unless a drydock holds its lock
// (Docker refuses while a container uses it; a process holding the flock
// is checked here): a volume removed under a holder would split the lock.
func removeHostLockVolume() {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := cli.VolumeInspect(ctx, hostLockVolume)
	if err != nil {
		return
	}
	if f, err := os.Open(filepath.Join(v.Mountpoint, "volumes.lock")); err == nil {
		held := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil
		f.Close()
		if held {
			return
		}
	}
	if err := cli.VolumeRemove(ctx, hostLockVolume, false); err != nil {
		fmt.Fprintf(os.Stderr, "dockertest: remove volume %s: %v\n", hostLockVolume, err)
	}
}

// Image returns the reference of the test image, building and importing it
// on first use.
func Image(t testing.TB) string {
	t.Helper()
	cli := testenv.Docker(t)
	img.once.Do(func() {
		if img.pkg == "" {
			img.err = fmt.Errorf("dockertest.Main was not called from TestMain")
			return
		}
		img.cli = cli
		img.ref, img.err = buildImage(cli, img.pkg)
	})
	if img.err != nil {
		t.Fatalf("test image: %v", img.err)
	}
	return img.ref
}

// buildImage compiles pkg statically and imports it as the only file of a
// new image whose entrypoint it is: no base image, no registry.
func buildImage(cli *client.Client, pkg string) (string, error) {
	dir, err := os.MkdirTemp("", "dockertest-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "testapp")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	layer, err := tarFile(bin, "testapp")
	if err != nil {
		return "", err
	}
	ref := "drydock-testapp:" + RandomSuffix()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: layer, SourceName: "-"}, ref, image.ImportOptions{
		Changes: []string{`ENTRYPOINT ["/testapp"]`},
	})
	if err != nil {
		return "", fmt.Errorf("import image %s: %w", ref, err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return "", fmt.Errorf("import image %s: %w", ref, err)
	}
	return ref, nil
}

func tarFile(path, name string) (io.Reader, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: time.Now(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &buf, nil
}

// RandomSuffix returns 8 random hex digits for unique resource names.
func RandomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
