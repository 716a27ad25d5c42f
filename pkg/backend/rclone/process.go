package rclone

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a running `rclone serve restic --stdio`.
type process struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *tail
	exited chan struct{} // closed once Wait returned
	err    error         // Wait's, once exited
}

// start runs rclone for cfg. Its stderr is kept (the last lines) to
// explain a failure.
func start(cfg Config) (*process, error) {
	program, args := cfg.command()
	cmd := exec.Command(program, args...)
	// Own process group: a terminal's Ctrl-C goes to drydock only, which
	// still needs rclone to remove its lock. Killed if drydock dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{cmd: cmd, stderr: &tail{max: 4096}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if p.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (install rclone, or name it with -o rclone.program=PATH)", program, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// failure describes why rclone ended, with the end of its stderr.
func (p *process) failure() error {
	select {
	case <-p.exited:
	default:
		return nil
	}
	msg := strings.TrimSpace(p.stderr.String())
	if msg == "" {
		return fmt.Errorf("rclone exited: %v", p.err)
	}
	return fmt.Errorf("rclone exited (%v): %s", p.err, msg)
}

// stop closes rclone's stdin, which ends it, and kills it if it is still
// running after grace.
func (p *process) stop(grace time.Duration) error {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	var exit *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exit) {
		return p.err
	}
	return nil
}

// kill ends rclone at once, for one stuck on a broken request.
func (p *process) kill() error {
	_ = p.stdin.Close()
	err := p.cmd.Process.Kill()
	<-p.exited
	return err
}

// conn is rclone's stdin and stdout as the one connection HTTP/2 runs on.
type conn struct {
	io.Reader
	io.WriteCloser
	p *process
}

func (c conn) Read(b []byte) (int, error) {
	n, err := c.Reader.Read(b)
	if err != nil && c.p.failure() != nil {
		err = c.p.failure()
	}
	return n, err
}

func (c conn) LocalAddr() net.Addr              { return pipeAddr{} }
func (c conn) RemoteAddr() net.Addr             { return pipeAddr{} }
func (c conn) SetDeadline(time.Time) error      { return nil }
func (c conn) SetReadDeadline(time.Time) error  { return nil }
func (c conn) SetWriteDeadline(time.Time) error { return nil }
func (c conn) Close() error                     { return c.WriteCloser.Close() }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "rclone stdio" }

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var _ net.Conn = conn{}
