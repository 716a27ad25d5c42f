package volume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/internal/errjoin"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// outputTail is how much of a hook's output an error keeps.
const outputTail = 2048

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// runHook execs h in its container and waits for it, bounded by h.Timeout.
// Docker cannot kill an exec'd process: on timeout drydock stops waiting
// and reports it, and the process may run on inside the container.
func (m *Manager) runHook(ctx context.Context, h appplan.Hook) (output string, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	out := &tailBuffer{max: outputTail}
	fail := func(err error) error {
		return &HookError{Container: h.Container.Name, Phase: h.Phase, Cmd: h.Cmd, ExitCode: -1, Output: out.String(), Err: err}
	}
	id, err := m.resolve(ctx, h.Container)
	if err != nil {
		return "", fail(err)
	}
	exec, err := m.host.ContainerExecCreate(ctx, id, container.ExecOptions{
		User: h.User, Cmd: h.Cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return "", fail(fmt.Errorf("create exec: %w", err))
	}
	att, err := m.host.ContainerExecAttach(ctx, exec.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", fail(fmt.Errorf("attach exec: %w", err))
	}
	defer att.Close()
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, out, att.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		att.Close() // unblocks the copy
		<-copied
		return out.String(), fail(fmt.Errorf("timed out after %s: %w", h.Timeout, context.Cause(ctx)))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return out.String(), fail(fmt.Errorf("read output: %w", err))
	}
	ins, err := m.waitExec(ctx, exec.ID)
	if err != nil {
		return out.String(), fail(err)
	}
	if ins.ExitCode != 0 {
		return out.String(), &HookError{Container: h.Container.Name, Phase: h.Phase, Cmd: h.Cmd, ExitCode: ins.ExitCode, Output: out.String()}
	}
	return out.String(), nil
}

// waitExec returns the exec's final state. The output stream can close a
// moment before Docker records the exit code, so poll briefly.
func (m *Manager) waitExec(ctx context.Context, id string) (container.ExecInspect, error) {
	for {
		ins, err := m.host.ContainerExecInspect(ctx, id)
		if err != nil {
			return ins, fmt.Errorf("inspect exec: %w", err)
		}
		if !ins.Running {
			return ins, nil
		}
		select {
		case <-ctx.Done():
			return ins, fmt.Errorf("wait for exit: %w", context.Cause(ctx))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runHooks runs the hooks of one phase one after another. A pre hook
// failure stops the rest (the backup is aborted anyway); post hooks all run
// and their failures are joined.
func (m *Manager) runHooks(ctx context.Context, hooks []appplan.Hook, phase string) error {
	var errs []error
	for _, h := range hooks {
		if h.Phase != phase {
			continue
		}
		log := m.log.With("container", h.Container.Name, "phase", phase, "cmd", appplan.ClipArgv(h.Cmd))
		log.Info("running hook")
		out, err := m.runHook(ctx, h)
		if err != nil {
			// The caller reports the error, with its context: once.
			log.Debug("hook failed", "err", err)
			errs = append(errs, err)
			if phase == "pre" {
				break
			}
			continue
		}
		log.Debug("hook done", "output", out)
	}
	return errjoin.Join(errs...)
}

// RunHook execs h in its container and waits for it, bounded by
// h.Timeout: for commands other than the backup's hooks (a restore
// drill's drydock.verify). The error is a *HookError when the command ran.
func (m *Manager) RunHook(ctx context.Context, h appplan.Hook) (output string, err error) {
	return m.runHook(ctx, h)
}
