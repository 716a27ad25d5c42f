package volume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// OpenDump runs d's command in its (running) container and returns its
// stdout as a stream, straight from the exec's attach: nothing is
// buffered beyond what the reader has not consumed yet, nothing is written
// to disk. The stream ends with an error instead of io.EOF when the
// command exits non-zero, runs past d.Timeout or writes nothing (unless
// d.AllowEmpty): a *HookError (Phase "dump") naming the container, the
// command, its exit code and the end of its stderr. Close stops waiting
// for the command; like a hook's, a process Docker started cannot be
// killed through the exec API and may run on inside the container.
func (m *Manager) OpenDump(ctx context.Context, d appplan.Dump) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, d.Timeout, fmt.Errorf("timed out after %s", d.Timeout))
	stderr := &tailBuffer{max: outputTail}
	fail := func(err error) error {
		cancel()
		return &HookError{Container: d.Container.Name, Phase: "dump", Cmd: d.Cmd, ExitCode: -1, Output: stderr.String(), Err: err}
	}
	id, err := m.resolve(ctx, d.Container)
	if err != nil {
		return nil, fail(err)
	}
	exec, err := m.host.ContainerExecCreate(ctx, id, container.ExecOptions{
		User: d.User, Cmd: d.Cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, fail(fmt.Errorf("create exec: %w", err))
	}
	att, err := m.host.ContainerExecAttach(ctx, exec.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, fail(fmt.Errorf("attach exec: %w", err))
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		stop := context.AfterFunc(ctx, func() { att.Close() }) // unblocks the copy
		out := &countWriter{w: pw}
		_, cerr := stdcopy.StdCopy(out, stderr, att.Reader)
		stop()
		att.Close()
		err := m.dumpEnd(ctx, d, exec.ID, out.n, cerr)
		if err != nil {
			err = &HookError{Container: d.Container.Name, Phase: "dump", Cmd: d.Cmd, ExitCode: exitOf(err), Output: stderr.String(), Err: errors.Unwrap(err)}
		}
		pw.CloseWithError(err) // nil: io.EOF
	}()
	return &dumpStream{PipeReader: pr, cancel: cancel, done: done}, nil
}

// exitError is a dump command's non-zero exit.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

// dumpEnd decides how a dump's stream ended: nil for a complete dump.
// Errors other than an exitError wrap their cause once, for HookError.Err.
func (m *Manager) dumpEnd(ctx context.Context, d appplan.Dump, execID string, n int64, copyErr error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("dump: %w", context.Cause(ctx))
	}
	if copyErr != nil && !errors.Is(copyErr, io.EOF) {
		return fmt.Errorf("dump: %w", fmt.Errorf("read output: %w", copyErr))
	}
	ins, err := m.waitExec(ctx, execID)
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	if ins.ExitCode != 0 {
		return exitError{ins.ExitCode}
	}
	if n == 0 && !d.AllowEmpty {
		return fmt.Errorf("dump: %w", fmt.Errorf("wrote nothing to stdout (set %s=true if that is fine)", appplan.LabelDumpAllowEmpty))
	}
	return nil
}

func exitOf(err error) int {
	var e exitError
	if errors.As(err, &e) {
		return e.code
	}
	return -1
}

// dumpStream is the reading end of a dump; Close ends the exec's attach
// and waits for the copy to stop.
type dumpStream struct {
	*io.PipeReader
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func (s *dumpStream) Close() error {
	s.once.Do(func() {
		_ = s.PipeReader.Close()
		s.cancel()
		<-s.done
	})
	return nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// runningDumps splits the dumps into those whose container runs now and
// the others: a stopped container is not started to be dumped, and the
// snapshot then lacks its dump, which the caller reports.
func (m *Manager) runningDumps(ctx context.Context, dumps []appplan.Dump) (running, skipped []appplan.Dump) {
	for _, d := range dumps {
		if m.runs(ctx, d.Container) {
			running = append(running, d)
			continue
		}
		m.log.Warn("container not running: its dump is not taken", "container", d.Container.Name, "dump", d.Name)
		skipped = append(skipped, d)
	}
	return running, skipped
}
