package sftp

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// conn is one ssh process with an SFTP session over its standard input and
// output.
type conn struct {
	cmd    *exec.Cmd
	client *sftp.Client
	stderr *tailWriter
	stdout *os.File // our end of ssh's standard output

	exited  chan struct{} // closed when ssh has exited; waitErr is set then
	waitErr error
	lost    chan struct{} // closed when the SFTP session has ended

	posixRename bool // posix-rename@openssh.com: rename replaces atomically
	fsync       bool // fsync@openssh.com
}

// Timeouts for ending an ssh process. closeGrace is how long ssh gets to
// exit on its own once its input is closed; Close must not hang on a dead
// network, so after that it is killed.
const (
	closeGrace = time.Second
	// exitGrace is how long a failed handshake waits for ssh to exit and
	// finish writing its reason to stderr.
	exitGrace = 5 * time.Second
)

// dial starts ssh and the SFTP session. Cancelling ctx aborts the
// handshake; once established the connection outlives ctx, since it is
// shared by all later operations.
func dial(ctx context.Context, name string, args []string) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe for ssh: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("pipe for ssh: %w", err)
	}
	c := &conn{stderr: &tailWriter{}, stdout: outR, exited: make(chan struct{}), lost: make(chan struct{})}
	// Our own pipes, not cmd.StdinPipe/StdoutPipe: Wait closes those as
	// soon as ssh exits, racing with the SFTP client still reading.
	c.cmd = exec.Command(name, args...)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, c.stderr
	c.cmd.WaitDelay = closeGrace // a ProxyCommand child may hold stderr open
	setProcAttr(c.cmd)
	err = c.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	if err := c.handshake(ctx, inW); err != nil {
		return nil, err
	}
	go func() {
		_ = c.client.Wait()
		close(c.lost)
	}()
	_, c.posixRename = c.client.HasExtension("posix-rename@openssh.com")
	_, c.fsync = c.client.HasExtension("fsync@openssh.com")
	return c, nil
}

// handshake runs the SFTP version exchange, which completes only once ssh
// has connected, verified the host key and logged in.
func (c *conn) handshake(ctx context.Context, in *os.File) error {
	type result struct {
		client *sftp.Client
		err    error
	}
	done := make(chan result, 1)
	go func() {
		cl, err := sftp.NewClientPipe(c.stdout, in, sftp.UseConcurrentWrites(true))
		done <- result{cl, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		_ = c.cmd.Process.Kill()
		if r = <-done; r.client != nil {
			_ = r.client.Close()
		}
		c.reap()
		return ctx.Err()
	}
	if r.err != nil {
		in.Close() // NewClientPipe closes it on most errors, not all
		select {
		case <-c.exited:
		case <-time.After(exitGrace):
		}
		c.reap()
		return c.dialError(r.err)
	}
	c.client = r.client
	return nil
}

// reap kills ssh if it still runs, waits for it and closes our pipe end.
func (c *conn) reap() {
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.stdout.Close()
}

// close ends the session: closing ssh's input lets it exit cleanly; if it
// does not within closeGrace (a hung network), it is killed.
func (c *conn) close() {
	closed := make(chan struct{})
	go func() {
		_ = c.client.Close() // returns once ssh's output has ended
		close(closed)
	}()
	select {
	case <-c.exited:
	case <-time.After(closeGrace):
	}
	c.reap()
	<-closed
}

// dead reports whether the session can no longer be used.
func (c *conn) dead() bool {
	select {
	case <-c.exited:
		return true
	case <-c.lost:
		return true
	default:
		return false
	}
}

// why describes how ssh ended, if it has, with the end of its stderr.
func (c *conn) why() string {
	var parts []string
	select {
	case <-c.exited:
		if c.waitErr != nil {
			parts = append(parts, "ssh exited: "+c.waitErr.Error())
		} else {
			parts = append(parts, "ssh exited")
		}
	default:
	}
	if s := c.stderr.String(); s != "" {
		parts = append(parts, "ssh said: "+s)
	}
	return strings.Join(parts, "; ")
}

// dialError explains a failed handshake by what ssh said, and classifies
// it: network trouble may pass (transient), a refused login is
// ErrPermission, and a host key problem or anything else is permanent.
func (c *conn) dialError(err error) error {
	// err itself is only "EOF" from the pipe, which must not make a
	// permanent failure look transient: it is shown, not wrapped.
	msg := c.why()
	if msg == "" {
		msg = err.Error()
	} else {
		msg += " (" + err.Error() + ")"
	}
	said := strings.ToLower(c.stderr.String())
	switch {
	case strings.Contains(said, "host key verification failed"),
		strings.Contains(said, "remote host identification has changed"),
		strings.Contains(said, "no matching host key"):
		return fmt.Errorf("the server's host key is unknown or has changed (not in known_hosts); nothing was sent: %s", msg)
	case strings.Contains(said, "permission denied"),
		strings.Contains(said, "too many authentication failures"):
		return fmt.Errorf("login refused (check the user, the key and the server's authorized_keys): %w: %s", backend.ErrPermission, msg)
	case containsAny(said, "connection refused", "connection reset", "connection timed out",
		"connection closed", "operation timed out", "no route to host", "network is unreachable",
		"temporary failure in name resolution", "broken pipe", "kex_exchange_identification"):
		return backend.MarkTransient(fmt.Errorf("connect: %s", msg))
	}
	return fmt.Errorf("start SFTP session: %s", msg)
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
