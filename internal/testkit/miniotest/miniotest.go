// Package miniotest runs a real MinIO server on 127.0.0.1 for tests of the
// S3 backend. Each Server gets free ports, a fresh data directory and random
// root credentials, and is stopped when the test ends. A Server can be
// stopped and restarted on the same port and data for fault tests.
//
// The server binary is built by third_party/minio/build.sh. Start looks for
// it in $MINIO_BINARY, then in the build cache, then in $PATH; if it is
// missing the test is skipped locally and fails under CI=true.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/internal/testkit/testproc"
)

// Version is the MinIO version pinned in third_party/minio/go.mod; the
// build cache path contains it. TestVersionMatchesGoMod keeps them in sync.
const Version = "v0.0.0-20260212201848-7aac2a2c5b7c"

// Timeouts for starting and stopping the server. Startup is slow on a busy
// 2-core machine, so be generous; a healthy start takes about a second.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

// Server is a running (or stopped) MinIO server.
type Server struct {
	// Endpoint is "127.0.0.1:PORT"; it stays the same across Restart.
	Endpoint  string
	AccessKey string
	SecretKey string

	bin     string
	home    string // HOME, data and certs live below it
	console string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	out  *testenv.SyncBuffer
}

// BinaryPath returns the MinIO server binary to use, or "" if none is found.
func BinaryPath() string {
	if p := os.Getenv("MINIO_BINARY"); p != "" {
		return p
	}
	cache := os.Getenv("DRYDOCK_CACHE")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache", "drydock")
		}
	}
	if cache != "" {
		p := filepath.Join(cache, "minio-"+Version, "minio")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	return ""
}

// Start starts a MinIO server for t and registers its shutdown with
// t.Cleanup. It skips t (fails under CI=true) if no binary is found.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := BinaryPath()
	testenv.RequireOrSkip(t, bin != "", "MinIO server binary not found: run `bash third_party/minio/build.sh` or set MINIO_BINARY")
	s := &Server{
		bin:       bin,
		home:      t.TempDir(),
		AccessKey: "drydock-" + randomHex(6),
		SecretKey: randomHex(20),
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop MinIO: %v", err)
		}
		if t.Failed() {
			t.Logf("MinIO output:\n%s", s.out.String())
		}
	})
	// Ports are picked by listening on :0 and closing, so another process
	// may grab one before MinIO binds it: retry with fresh ports.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.Endpoint, s.console = testproc.FreeAddr(t), testproc.FreeAddr(t)
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("start MinIO: %v", err)
	return nil
}

// URL returns "http://127.0.0.1:PORT".
func (s *Server) URL() string { return "http://" + s.Endpoint }

// Stop stops the server (SIGTERM, then SIGKILL after a timeout). The data
// directory is kept for Restart.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("stop MinIO: %v", err)
	}
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(500 * time.Millisecond) // port may linger briefly
	}
	t.Fatalf("restart MinIO on %s: %v", s.Endpoint, err)
}

// Client returns a minio-go client for the server, for tests that inspect
// the bucket directly.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatalf("minio client: %v", err)
	}
	return c
}

// NewBucket creates a bucket with a unique name and returns the name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := BucketName()
	if err := s.Client(t).MakeBucket(t.Context(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

// BucketName returns a unique, valid bucket name that does not exist yet.
func BucketName() string { return "drydock-test-" + randomHex(8) }

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	data := filepath.Join(s.home, "data")
	certs := filepath.Join(s.home, "certs") // empty: never pick up a user's TLS certs
	for _, d := range []string{data, certs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	cmd := exec.Command(s.bin, "server", "--quiet",
		"--address", s.Endpoint, "--console-address", s.console,
		"--certs-dir", certs, data)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.home,
		"TMPDIR=" + os.TempDir(),
		"MINIO_ROOT_USER=" + s.AccessKey,
		"MINIO_ROOT_PASSWORD=" + s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	}
	if s.out == nil {
		s.out = &testenv.SyncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	testproc.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	if err := waitReady(s.URL(), done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%w; output:\n%s", err, s.out.String())
	}
	s.cmd, s.done = cmd, done
	return nil
}

func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("MinIO did not stop within %v after SIGTERM; killed", stopTimeout)
}

// waitReady polls the health endpoints until the server accepts S3
// requests, the process exits, or startTimeout passes. /minio/health/live
// answers 200 as soon as the HTTP listener is up, while the object layer,
// IAM and bucket metadata may still be initialising (requests then fail
// with "Server not initialized yet"); /minio/health/cluster answers 200 only
// once all of them are ready, so both are required.
func waitReady(base string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	ok := func(path string) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return false
		}
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	for {
		if ok("/minio/health/live") && ok("/minio/health/cluster") {
			return nil
		}
		select {
		case <-exited:
			return errors.New("MinIO exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("MinIO not live at %s after %v", base, startTimeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ClosedAddr returns a 127.0.0.1 address on which nothing listens, for
// tests of an unreachable endpoint.
func ClosedAddr(t testing.TB) string { return testproc.FreeAddr(t) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
