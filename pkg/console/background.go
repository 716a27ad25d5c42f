package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// errStopping answers an action asked for while the console stops.
var errStopping = &httpError{status: http.StatusServiceUnavailable, msg: "drydock is stopping: it starts no new operation"}

// errInterrupted is how an operation the console's Shutdown cancelled
// ends in the history.
var errInterrupted = errors.New("interrupted: drydock stopped before the operation ended")

// background runs the operations the console starts (restores, lock
// removals) past the request that asked for them, and lets Shutdown
// cancel and await them, so that none is cut off unrecorded.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

func newBackground() *background {
	ctx, cancel := context.WithCancel(context.Background())
	return &background{ctx: ctx, cancel: cancel}
}

// start runs fn in a goroutine on a context that Shutdown cancels, or
// refuses once Shutdown began.
func (b *background) start(fn func(ctx context.Context)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return errStopping
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn(b.ctx)
	}()
	return nil
}

// interrupted says whether an operation failed with err because Shutdown
// cancelled it, and if so gives the error the history keeps.
func (b *background) interrupted(err error) (bool, error) {
	if err == nil || b.ctx.Err() == nil {
		return false, err
	}
	return true, fmt.Errorf("%w (%v)", errInterrupted, err)
}

// Shutdown starts no further operation, cancels those running and waits
// until each has recorded how it ended in the history, or ctx ends. The
// daemon calls it before it closes the repositories the console reads.
func (s *Server) Shutdown(ctx context.Context) error {
	b := s.bg
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cancel()
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("console operations still running at shutdown: %w", ctx.Err())
	}
}
