package retry

import (
	"context"
	"sync"
	"time"
)

// Window caps the retries of the calls made under a context that carries
// it (WithWindow) while it is open: the time an app is stopped for its
// final pass, which must not wait out a storage outage with the app down.
// Once closed, those calls, even ones waiting to retry, are under the
// Backend's own policy again.
type Window struct {
	mu     sync.Mutex
	max    time.Duration
	closed bool
}

// NewWindow returns an open window in which a call retries for at most
// max in all.
func NewWindow(max time.Duration) *Window { return &Window{max: max} }

// Close ends the window.
func (w *Window) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// limit returns the window's cap on a call's retries, and false once the
// window is closed.
func (w *Window) limit() (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max, !w.closed
}

type windowKey struct{}

// WithWindow returns ctx carrying w, which every retried call under it
// obeys; context.WithoutCancel keeps it.
func WithWindow(ctx context.Context, w *Window) context.Context {
	return context.WithValue(ctx, windowKey{}, w)
}

// maxElapsed is the retry budget of a call under ctx now: the policy's,
// or an open window's if shorter.
func maxElapsed(ctx context.Context, policy time.Duration) time.Duration {
	if w, ok := ctx.Value(windowKey{}).(*Window); ok {
		if m, open := w.limit(); open && m < policy {
			return m
		}
	}
	return policy
}
