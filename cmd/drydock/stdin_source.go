package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	pathbackup "github.com/drydock-backup/drydock/pkg/backup"
)

// stdinOptions are backup's --stdin, --stdin-filename and
// --stdin-from-command.
type stdinOptions struct {
	stdin       bool
	filename    string
	fromCommand bool
}

func (o stdinOptions) enabled() bool { return o.stdin || o.fromCommand }

// check rejects what restic rejects with --stdin: paths to back up, or
// files that list them.
func (o stdinOptions) check(args []string, f filesFrom) error {
	if !o.enabled() {
		return nil
	}
	if o.stdin && o.fromCommand {
		return errors.New("--stdin and --stdin-from-command exclude each other: give one")
	}
	if len(f.patterns)+len(f.verbatim)+len(f.raw) > 0 {
		return errors.New("--stdin and --files-from* exclude each other: the data comes from the stream")
	}
	if o.stdin && len(args) > 0 {
		return fmt.Errorf("--stdin reads the data from standard input, but paths were given too (%s); to back up a command's output, use --stdin-from-command -- COMMAND ARGS", strings.Join(args, " "))
	}
	if o.fromCommand && len(args) == 0 {
		return errors.New("--stdin-from-command needs the command to run, e.g. drydock backup --stdin-from-command --stdin-filename db.sql -- pg_dumpall -U postgres")
	}
	return nil
}

// stream is the file the backup reads: standard input, or the output of
// the command args.
func (o stdinOptions) stream(g *globalOptions, args []string) *pathbackup.Stream {
	st := &pathbackup.Stream{Name: o.filename}
	if o.fromCommand {
		st.Open = func(ctx context.Context) (io.ReadCloser, error) { return startCommand(ctx, args, g.stderr) }
		return st
	}
	st.Open = func(context.Context) (io.ReadCloser, error) {
		if g.stdin == nil {
			return nil, errors.New("--stdin: there is no standard input")
		}
		return io.NopCloser(g.stdin), nil
	}
	return st
}

// commandOutput is the standard output of a running command. Its end is
// an error unless the command exited with status 0, so that the output of
// a failed dump is never saved as if it were whole.
type commandOutput struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	once   sync.Once
	err    error
}

// startCommand runs args with their standard error passed through.
func startCommand(ctx context.Context, args []string, stderr io.Writer) (*commandOutput, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("--stdin-from-command: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, &commandFailedError{name: args[0], err: err}
	}
	return &commandOutput{cmd: cmd, stdout: out}, nil
}

func (c *commandOutput) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if errors.Is(err, io.EOF) {
		if werr := c.wait(); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// Close ends the command if it still runs and reports how it ended.
func (c *commandOutput) Close() error {
	c.stdout.Close()
	return c.wait()
}

func (c *commandOutput) wait() error {
	c.once.Do(func() {
		if err := c.cmd.Wait(); err != nil {
			c.err = &commandFailedError{name: c.cmd.Args[0], err: err}
		}
	})
	return c.err
}

// commandFailedError is a --stdin-from-command command that did not exit
// with status 0.
type commandFailedError struct {
	name string
	err  error
}

func (e *commandFailedError) Error() string {
	return fmt.Sprintf("--stdin-from-command: %s failed (%v): no snapshot written", e.name, e.err)
}

func (e *commandFailedError) Unwrap() error { return e.err }
