// Package sshtest runs a private OpenSSH server on 127.0.0.1 for tests of
// the SFTP backend: its own host key, configuration, client key and
// known_hosts in a fresh temporary directory, a free port, and the built-in
// SFTP server started in a directory of its own (Root), so relative
// repository paths resolve there. The server is killed when the test ends.
//
// It needs Debian's openssh-server (sshd, ssh-keygen) and openssh-client
// (ssh); if they are missing the test is skipped locally and fails under
// CI=true.
package sshtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/internal/testkit/testproc"
)

// startTimeout bounds how long sshd may take to accept connections.
const startTimeout = 20 * time.Second

// HostAlias is the name of the server in ConfigFile.
const HostAlias = "drydock-sshtest"

// Server is a running sshd.
type Server struct {
	Host string // "127.0.0.1"
	Port string
	User string // the login name: the user running the test
	// Root is the directory relative SFTP paths start in; tests put
	// repositories below it and may read and write it directly.
	Root string
	// KeyFile is the client's private key; KnownHostsFile lists the
	// server's host key for [127.0.0.1]:PORT.
	KeyFile        string
	KnownHostsFile string
	// ConfigFile is an ssh client configuration naming the server
	// HostAlias, with the key, known_hosts and strict host key checking:
	// "ssh -F ConfigFile drydock-sshtest -s sftp" opens an SFTP session.
	ConfigFile string
	// HostPublicKey is the server's host key as written in known_hosts.
	HostPublicKey string

	dir        string
	logOpens   bool
	sftpServer string
	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{}
}

// output returns what sshd logged.
func (s *Server) output() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "sshd.log"))
	return string(b)
}

// sftpServers are where Debian and others put the stand-alone SFTP
// server, which StartLogged needs.
var sftpServers = []string{"/usr/lib/openssh/sftp-server", "/usr/lib/sftp-server", "/usr/libexec/sftp-server"}

// subsystem is sshd's SFTP line: the built-in server, or with logOpens the
// stand-alone one logging every file opened into sftp.log (the built-in
// one logs to the client's stderr, out of our sight).
func (s *Server) subsystem() string {
	if !s.logOpens {
		return "Subsystem sftp internal-sftp -d " + s.Root
	}
	return "Subsystem sftp " + s.sftpServer + " -e -l INFO -d " + s.Root + " 2>>" + filepath.Join(s.dir, "sftp.log")
}

// StartLogged is Start with a server that logs the files it opens, for
// Opened.
func StartLogged(t testing.TB) *Server {
	t.Helper()
	var bin string
	for _, p := range sftpServers {
		if _, err := os.Stat(p); err == nil {
			bin = p
			break
		}
	}
	testenv.RequireOrSkip(t, bin != "", "no stand-alone sftp-server found in %v (Debian: openssh-sftp-server)", sftpServers)
	return start(t, bin)
}

// Opened counts the files opened over SFTP so far (for reading or
// writing) whose path contains substr, from the log of a server from
// StartLogged: what a client fetched, seen from outside it.
func (s *Server) Opened(substr string) int {
	log, _ := os.ReadFile(filepath.Join(s.dir, "sftp.log"))
	n := 0
	for _, line := range strings.Split(string(log), "\n") {
		if _, path, ok := strings.Cut(line, "open \""); ok && strings.Contains(path, substr) {
			n++
		}
	}
	return n
}

// Start starts sshd for t and registers its shutdown with t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, "")
}

// start starts sshd; a sftpServer logs the files it opens.
func start(t testing.TB, sftpServer string) *Server {
	t.Helper()
	sshd := findSSHD()
	_, kerr := exec.LookPath("ssh-keygen")
	_, cerr := exec.LookPath("ssh")
	testenv.RequireOrSkip(t, sshd != "" && kerr == nil && cerr == nil,
		"sshd, ssh-keygen or ssh not found; install them (Debian: apt-get install -y openssh-server openssh-client)")
	u, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	dir := t.TempDir()
	s := &Server{Host: "127.0.0.1", User: u.Username, dir: dir, Root: filepath.Join(dir, "root"), logOpens: sftpServer != "", sftpServer: sftpServer}
	if err := os.Mkdir(s.Root, 0o700); err != nil {
		t.Fatal(err)
	}
	s.KeyFile = GenerateKey(t, filepath.Join(dir, "client_key"))
	hostKey := GenerateKey(t, filepath.Join(dir, "host_key"))
	s.HostPublicKey = readPublic(t, hostKey)
	copyFile(t, filepath.Join(dir, "authorized_keys"), s.KeyFile+".pub")
	ensurePrivsepDir(t)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("sshd output:\n%s", s.output())
		}
	})
	// A port picked by listening on :0 may be taken before sshd binds it:
	// retry with a fresh one.
	for attempt := 0; ; attempt++ {
		_, s.Port, _ = net.SplitHostPort(testproc.FreeAddr(t))
		s.writeFiles(t, hostKey)
		err = s.start(sshd)
		if err == nil {
			return s
		}
		if attempt == 2 {
			t.Fatalf("start sshd: %v\n%s", err, s.output())
		}
	}
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// Command returns an sftp.command that reaches the server through
// ConfigFile, as a user's ssh configuration would.
func (s *Server) Command() string {
	return "ssh -F " + s.ConfigFile + " " + HostAlias + " -s sftp"
}

// KnownHostsLine returns a known_hosts line for this server's address with
// the given public key ("TYPE BASE64").
func (s *Server) KnownHostsLine(publicKey string) string {
	return fmt.Sprintf("[%s]:%s %s\n", s.Host, s.Port, publicKey)
}

// GenerateKey writes a new passphrase-less ed25519 key pair to path and
// path.pub and returns path.
func GenerateKey(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "drydock-sshtest", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return path
}

// readPublic returns "TYPE BASE64" of the key pair at path.
func readPublic(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		t.Fatalf("%s.pub: unexpected content %q", path, b)
	}
	return f[0] + " " + f[1]
}

// PublicKey returns "TYPE BASE64" of the key pair at path, for known_hosts.
func PublicKey(t testing.TB, path string) string { return readPublic(t, path) }

func copyFile(t testing.TB, dst, src string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeFiles writes sshd's configuration, the client's known_hosts and its
// ssh configuration for the current port.
func (s *Server) writeFiles(t testing.TB, hostKey string) {
	t.Helper()
	sshdConfig := strings.Join([]string{
		"Port " + s.Port,
		"ListenAddress " + s.Host,
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(s.dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(s.dir, "authorized_keys"),
		"AllowUsers " + s.User,
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"UsePAM no",
		"StrictModes no", // the temporary directory's modes are not ours to judge
		"LogLevel VERBOSE",
		"MaxStartups 100",
		s.subsystem(),
	}, "\n") + "\n"
	s.KnownHostsFile = filepath.Join(s.dir, "known_hosts")
	s.ConfigFile = filepath.Join(s.dir, "ssh_config")
	clientConfig := strings.Join([]string{
		"Host " + HostAlias,
		"  HostName " + s.Host,
		"  Port " + s.Port,
		"  User " + s.User,
		"  IdentityFile " + s.KeyFile,
		"  IdentitiesOnly yes",
		"  UserKnownHostsFile " + s.KnownHostsFile,
		"  GlobalKnownHostsFile /dev/null",
		"  StrictHostKeyChecking yes",
		"  BatchMode yes",
	}, "\n") + "\n"
	for name, content := range map[string]string{
		filepath.Join(s.dir, "sshd_config"): sshdConfig,
		s.KnownHostsFile:                    s.KnownHostsLine(s.HostPublicKey),
		s.ConfigFile:                        clientConfig,
	} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *Server) start(sshd string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(s.dir, "sshd_config"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	// Sessions inherit sshd's output; a pipe they hold open would keep
	// Wait from returning, so output goes to a file.
	log, err := os.OpenFile(filepath.Join(s.dir, "sshd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	testproc.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", sshd, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	if err := testproc.WaitListening(s.Addr(), "sshd", done, startTimeout); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return err
	}
	s.cmd, s.done = cmd, done
	return nil
}

// Stop kills sshd and every session it started; Restart brings it back on
// the same port with the same keys.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart starts a stopped server again on the same port. It reports
// failure with t.Errorf, so it may run in a goroutine of the test.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	sshd := findSSHD()
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = s.start(sshd); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond) // the port may linger briefly
	}
	t.Errorf("restart sshd on %s: %v", s.Addr(), err)
}

// stop kills sshd and the per-session processes it forked, so open SFTP
// sessions end as if the server died.
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

func findSSHD() string {
	if p, err := exec.LookPath("sshd"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/sshd", "/sbin/sshd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// ensurePrivsepDir creates /run/sshd, which sshd started as root insists
// on (Debian's service creates it at boot; a container has none).
func ensurePrivsepDir(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("create sshd's privilege separation directory: %v", err)
	}
}
