package console

import (
	"context"
	"sync"
	"time"
)

// refreshed keeps an answer that is slow to get (Docker's list of the
// apps, a repository's locks) for a page that is asked for often: the
// overview must answer in 100 ms, Docker alone may take longer.
//
// An answer younger than fresh is served as it is. One younger than
// maxAge is served while a new one is fetched in the background, so the
// page does not wait and the next one is current. An older one, or none,
// is fetched while the page waits: what the page shows is never older
// than maxAge, so an alert it should show is never hidden for longer. An
// error is kept like an answer: an engine that does not answer costs one
// wait per maxAge, not one per page.
type refreshed[T any] struct {
	fresh, maxAge time.Duration
	timeout       time.Duration // bounds each fetch
	fetch         func(ctx context.Context) (T, error)
	// background runs a refresh past the request (the console's
	// background, which Shutdown cancels); an error means not now.
	background func(fn func(ctx context.Context)) error

	mu         sync.Mutex
	val        T
	err        error
	at         time.Time // when val and err were fetched; zero: never, or invalidated
	gen        uint64    // counts invalidations: a fetch begun before one is not kept
	refreshing bool
}

// answer is what refreshed.get returns: the value or error and when it
// was fetched.
type answer[T any] struct {
	Val T
	Err error
	At  time.Time
}

// get returns the answer as described at refreshed; ctx bounds a wait.
func (c *refreshed[T]) get(ctx context.Context) answer[T] {
	c.mu.Lock()
	age := time.Since(c.at)
	if !c.at.IsZero() && age < c.maxAge {
		a := answer[T]{c.val, c.err, c.at}
		if age >= c.fresh && !c.refreshing {
			c.refreshing = true
			gen := c.gen
			if c.background(func(ctx context.Context) { c.refresh(ctx, gen, true) }) != nil {
				c.refreshing = false
			}
		}
		c.mu.Unlock()
		return a
	}
	gen := c.gen
	c.mu.Unlock()
	return c.refresh(ctx, gen, false)
}

// refresh fetches the answer and keeps it unless an invalidation came
// in the meantime or a newer answer was kept already.
func (c *refreshed[T]) refresh(ctx context.Context, gen uint64, background bool) answer[T] {
	fctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, err := c.fetch(fctx)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if background {
		c.refreshing = false
	}
	// A fetch cut off because the client went (or the console stops)
	// says nothing of what is fetched: keep nothing. One cut off by the
	// timeout is an answer: it is not there in time.
	if gen == c.gen && now.After(c.at) && ctx.Err() == nil {
		c.val, c.err, c.at = val, err, now
	}
	return answer[T]{val, err, now}
}

// invalidate drops the answer: the next get fetches it. The console's own
// lock removal calls it, so its page does not show the locks it removed.
func (c *refreshed[T]) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.at = time.Time{}
}
