package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// TestConfigCommands: config check names the file, line and key of each
// problem and exits 1; a good file passes; the embedded default parses.
func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	c := newCLI(t, "")
	c.env["STATE_DIRECTORY"] = dir
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, filepath.Join(dir, "pw"), []byte("pw\n"))
	writeFile(t, good, []byte(`repositories:
  r:
    location: repo
    password_file: pw
    init: true
jobs:
  etc:
    repository: r
    schedule: "0 3 * * *"
    paths: [/etc]
`))
	out := c.must("config", "check", "--config", good)
	if !strings.Contains(out, "good.yaml is valid") || !strings.Contains(out, "job etc: paths [/etc] into r") {
		t.Errorf("config check output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "repo")); !os.IsNotExist(err) {
		t.Errorf("config check wrote a repository (init is for the daemon's start): %v", err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, []byte(`repositories:
  r:
    location: repo
    password_file: missing-pw
jobs:
  etc:
    repository: r
    schedule: "0 25 * * *"
    paths: [/etc]
    retension: {}
`))
	_, errOut, code := c.run("config", "check", "--config", bad)
	if code != exitFailure || !strings.Contains(errOut, `bad.yaml:10: unknown key "retension"`) {
		t.Errorf("unknown key: exit %d\n%s", code, errOut)
	}
	writeFile(t, bad, []byte(strings.Replace(string(mustRead(t, bad)), "    retension: {}\n", "", 1)))
	_, errOut, code = c.run("config", "check", "--config", bad, "--offline")
	for _, want := range []string{"bad.yaml:8: jobs.etc.schedule: bad cron expression", "bad.yaml:4: repositories.r.password_file: cannot read password file"} {
		if code != exitFailure || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, want 1 and %q in\n%s", code, want, errOut)
		}
	}

	unreachable := filepath.Join(dir, "unreachable.yaml")
	writeFile(t, unreachable, []byte(`repositories:
  far:
    location: s3:http://`+miniotest.ClosedAddr(t)+`/bucket
    password_file: pw
    retry_max: 1s
jobs:
  etc:
    repository: far
    schedule: "@daily"
    paths: [/etc]
`))
	_, errOut, code = c.run("config", "check", "--config", unreachable)
	if code == 0 || !strings.Contains(errOut, "repository far") {
		t.Errorf("unreachable repository: exit %d\n%s", code, errOut)
	}

	// An existing repository is opened: a wrong password is found now.
	existing := filepath.Join(dir, "existing")
	newCLI(t, existing).must("init")
	writeFile(t, filepath.Join(dir, "wrong-pw"), []byte("not the password\n"))
	wrongPW := filepath.Join(dir, "wrong.yaml")
	writeFile(t, wrongPW, []byte(strings.NewReplacer("location: repo", "location: "+existing, "password_file: pw", "password_file: wrong-pw").Replace(string(mustRead(t, good)))))
	_, errOut, code = c.run("config", "check", "--config", wrongPW)
	if code != exitWrongPass || !strings.Contains(errOut, "repository r") {
		t.Errorf("wrong password: exit %d, want %d\n%s", code, exitWrongPass, errOut)
	}

	def := c.must("config", "default")
	if _, err := config.Parse([]byte(def), "", func(k string) string { return c.env[k] }); err != nil {
		t.Errorf("printed default does not parse: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// daemonProc is `drydock daemon` running as a child process.
type daemonProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	errb testenv.SyncBuffer
	// exited is closed once the process has exited and been waited for.
	exited chan struct{}
}

func (p *daemonProc) stderr() string { return p.errb.String() }

func startDaemonProc(t *testing.T, c *cli, cfgFile, addr string, env ...string) *daemonProc {
	t.Helper()
	p := &daemonProc{t: t, addr: addr, exited: make(chan struct{})}
	p.cmd = exec.Command(drydockBinary(t), "daemon", "--config", cfgFile)
	p.cmd.Env = append(append(os.Environ(), c.environ()...), env...)
	p.cmd.Stderr = &p.errb
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("daemon stderr:\n%s", p.stderr())
		}
	})
	return p
}

// status asks the daemon through `drydock status --json`.
func (p *daemonProc) status(c *cli) (*orchestrate.Status, bool) {
	out, _, code := c.run("--json", "status", "--addr", p.addr)
	if out == "" {
		return nil, false
	}
	var st orchestrate.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		p.t.Fatalf("status --json: %v\n%s (exit %d)", err, out, code)
	}
	return &st, true
}

func (p *daemonProc) waitStatus(c *cli, what string, cond func(*orchestrate.Status) bool) *orchestrate.Status {
	p.t.Helper()
	var st *orchestrate.Status
	if !testenv.Eventually(time.Minute, 200*time.Millisecond, func() bool {
		select {
		case <-p.exited:
			p.t.Fatalf("daemon exited (%v) while waiting for %s:\n%s", p.cmd.ProcessState, what, p.stderr())
		default:
		}
		var ok bool
		st, ok = p.status(c)
		return ok && cond(st)
	}) {
		p.t.Fatalf("timed out waiting for %s", what)
	}
	return st
}

func (p *daemonProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait returns the daemon's exit code once it exits.
func (p *daemonProc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("daemon still running after %v", timeout)
		return -1
	}
}

func hasJob(name string) func(*orchestrate.Status) bool {
	return func(st *orchestrate.Status) bool {
		for _, j := range st.Jobs {
			if j.Job == name && j.LastSuccess != nil {
				return true
			}
		}
		return false
	}
}

const signalConfig = `state_dir: STATE
listen: ADDR
repositories:
  r:
    location: REPO
    password_file: PW
jobs:
  JOB:
    repository: r
    schedule: "* * * * * *"
    paths: [DATA]
`

// TestDaemonSignals: SIGHUP reloads the configuration and never kills the
// daemon, a broken file keeps the old configuration, and SIGTERM ends it
// with exit 0, its locks released and the repository clean.
func TestDaemonSignals(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	dir := t.TempDir()
	repoDir := filepath.Join(dir, "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, []byte(c.env["RESTIC_PASSWORD"]+"\n"))
	data := filepath.Join(dir, "data")
	writeFile(t, filepath.Join(data, "file"), []byte("content"))
	addr := miniotest.ClosedAddr(t)
	cfgFile := filepath.Join(dir, "drydock.yaml")
	write := func(job string) {
		writeFile(t, cfgFile, []byte(strings.NewReplacer("STATE", filepath.Join(dir, "state"), "ADDR", addr, "REPO", repoDir,
			"PW", pw, "DATA", data, "JOB", job).Replace(signalConfig)))
	}
	write("first")
	sd := newNotifySocket(t)
	p := startDaemonProc(t, c, cfgFile, addr, "NOTIFY_SOCKET="+sd.path, "WATCHDOG_USEC=400000")
	p.waitStatus(c, "a success of job first", hasJob("first"))
	sd.want("READY=1", "WATCHDOG=1")

	write("second")
	p.signal(syscall.SIGHUP)
	st := p.waitStatus(c, "job second after SIGHUP", hasJob("second"))
	sd.want("RELOADING=1", "READY=1")
	if len(st.Jobs) != 1 {
		t.Errorf("after reload: jobs %+v, want only second", st.Jobs)
	}

	writeFile(t, cfgFile, []byte("jobs: [this is not a configuration\n"))
	p.signal(syscall.SIGHUP)
	if !testenv.Eventually(30*time.Second, 100*time.Millisecond, func() bool { return strings.Contains(p.stderr(), "configuration not reloaded") }) {
		t.Fatal("no error logged for the broken configuration")
	}
	before := p.waitStatus(c, "job second still there", hasJob("second"))
	runs := before.Jobs[0].Runs
	p.waitStatus(c, "job second still running after the broken reload", func(st *orchestrate.Status) bool {
		return len(st.Jobs) == 1 && st.Jobs[0].Job == "second" && st.Jobs[0].Runs > runs
	})

	p.signal(syscall.SIGTERM)
	if code := p.wait(time.Minute); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	sd.want("STOPPING=1")
	if locks := strings.TrimSpace(c.mustRestic(resticBin, "list", "locks")); locks != "" {
		t.Errorf("locks left behind: %s", locks)
	}
	if out := c.mustRestic(resticBin, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}

// notifySocket plays systemd's side of sd_notify: it collects the states
// the daemon sends to $NOTIFY_SOCKET.
type notifySocket struct {
	t    *testing.T
	path string
	mu   sync.Mutex
	got  []string
}

func newNotifySocket(t *testing.T) *notifySocket {
	s := &notifySocket{t: t, path: filepath.Join(t.TempDir(), "notify.sock")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
			s.mu.Unlock()
		}
	}()
	return s
}

// want waits until each state has been received (in any order), and
// forgets what was received so far.
func (s *notifySocket) want(states ...string) {
	s.t.Helper()
	var missing, got []string
	if !testenv.Eventually(30*time.Second, 50*time.Millisecond, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		missing = slices.DeleteFunc(slices.Clone(states), func(st string) bool { return slices.Contains(s.got, st) })
		if len(missing) == 0 {
			s.got = nil
		}
		got = slices.Clone(s.got)
		return len(missing) == 0
	}) {
		s.t.Fatalf("systemd never got %v (got %v)", missing, got)
	}
}
