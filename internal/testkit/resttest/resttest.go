// Package resttest runs a real REST server for restic repositories on
// 127.0.0.1 for tests of the REST backend: Debian's rclone as
// "rclone serve restic", with a random user and password, a free port and a
// fresh directory, optionally over TLS with a CA, server and client
// certificates generated for the test. The server is killed when the test
// ends. If rclone is missing the test is skipped locally and fails under
// CI=true.
package resttest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/internal/testkit/testproc"
)

// startTimeout bounds how long rclone may take to listen.
const startTimeout = 20 * time.Second

// Options choose the server's TLS setup.
type Options struct {
	// TLS serves https with a certificate for 127.0.0.1 from a CA made for
	// the test (Server.CACertFile).
	TLS bool
	// ClientCA (with TLS) requires clients to present a certificate
	// signed by the same CA (Server.ClientCertFile).
	ClientCA bool
	// AppendOnly serves with --append-only: the server refuses to delete
	// or overwrite anything but lock files.
	AppendOnly bool
}

// Server is a running rclone REST server.
type Server struct {
	Addr string // "127.0.0.1:PORT"
	// User and Pass are the credentials the server requires.
	User, Pass string
	// Dir is the directory served: repository "x" lives in Dir/x.
	Dir string
	// CACertFile is the CA certificate (PEM) that signed the server's and
	// the client's certificates; ClientCertFile holds a client
	// certificate and its key in one PEM file. Both are set with TLS.
	CACertFile, ClientCertFile string

	opts Options
	home string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *testenv.SyncBuffer
}

// Start starts a server for t and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("rclone")
	testenv.RequireOrSkip(t, err == nil, "rclone not found (%v); install it (Debian: apt-get install -y rclone)", err)
	home := t.TempDir()
	s := &Server{
		User: "drydock-" + randomHex(4), Pass: randomHex(12),
		Dir: filepath.Join(home, "data"), opts: opts, home: home, out: &testenv.SyncBuffer{},
	}
	if err := os.Mkdir(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.args = []string{"serve", "restic",
		// An empty configuration of our own: never the user's remotes.
		"--config", filepath.Join(home, "rclone.conf"),
		"--user", s.User, "--pass", s.Pass,
		// Tests plant and inspect files in Dir directly.
		"--cache-objects=false",
	}
	if opts.AppendOnly {
		s.args = append(s.args, "--append-only")
	}
	if opts.TLS {
		s.args = append(s.args, writeCerts(t, s, home, opts.ClientCA)...)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("rclone output:\n%s", s.out.String())
		}
	})
	for attempt := 0; ; attempt++ {
		s.Addr = testproc.FreeAddr(t)
		if err = s.start(bin); err == nil {
			return s
		}
		if attempt == 2 {
			t.Fatalf("start rclone serve restic: %v\n%s", err, s.out.String())
		}
	}
}

// URL returns the server's base URL without credentials:
// "http://127.0.0.1:PORT/" (https with TLS).
func (s *Server) URL() string {
	scheme := "http"
	if s.opts.TLS {
		scheme = "https"
	}
	return scheme + "://" + s.Addr + "/"
}

// Location returns the restic location of repository repo with the
// credentials: "rest:http://USER:PASS@127.0.0.1:PORT/repo/".
func (s *Server) Location(repo string) string {
	scheme := "http"
	if s.opts.TLS {
		scheme = "https"
	}
	return "rest:" + scheme + "://" + s.User + ":" + s.Pass + "@" + s.Addr + "/" + repo + "/"
}

// Stop kills the server; Restart starts it again on the same port.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart starts a stopped server on the same port and directory. It
// reports failure with t.Errorf, so it may run in a goroutine of the test.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	bin, _ := exec.LookPath("rclone")
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = s.start(bin); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("restart rclone on %s: %v", s.Addr, err)
}

func (s *Server) start(bin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(bin, append(append([]string{}, s.args...), "--addr", s.Addr, s.Dir)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.home}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	testproc.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	if err := testproc.WaitListening(s.Addr, "rclone", done, startTimeout); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return err
	}
	s.cmd, s.done = cmd, done
	return nil
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	testproc.KillTree(s.cmd)
	<-s.done
	s.cmd, s.done = nil, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
