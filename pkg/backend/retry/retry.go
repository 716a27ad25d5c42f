// Package retry provides a Backend decorator that retries transient errors
// (see backend.IsTransient) with exponential backoff and jitter, within a
// bounded total time. It is the only retry layer: the S3 backend disables
// minio-go's own retries.
//
// A cancelled context stops everything: no attempt (and so no write) starts
// after ctx is done, even if the wrapped backend ignores ctx.
package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Options configure the retry policy. The zero value means the defaults.
type Options struct {
	// MaxElapsed bounds the total time spent on one call including
	// backoff; no new attempt starts once the next wait would exceed it.
	// Default 2 minutes: long enough to ride out a server restart, short
	// enough that a dead endpoint fails a job quickly.
	MaxElapsed time.Duration
	// InitialInterval is the wait before the first retry. Default 500 ms.
	InitialInterval time.Duration
	// MaxInterval caps a single wait. Default 15 s.
	MaxInterval time.Duration
	// Logger receives one Warn record per retry. Default discards.
	Logger *slog.Logger
}

func (o *Options) applyDefaults() {
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = 2 * time.Minute
	}
	if o.InitialInterval <= 0 {
		o.InitialInterval = 500 * time.Millisecond
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = 15 * time.Second
	}
	if o.MaxInterval < o.InitialInterval {
		o.MaxInterval = o.InitialInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Backend retries the operations of the Backend it embeds.
type Backend struct {
	backend.Backend
	opts Options
}

var (
	_ backend.Backend   = (*Backend)(nil)
	_ backend.Unwrapper = (*Backend)(nil)
)

// New wraps be with the retry policy in opts.
func New(be backend.Backend, opts Options) *Backend {
	opts.applyDefaults()
	return &Backend{Backend: be, opts: opts}
}

// Unwrap returns the wrapped backend.
func (b *Backend) Unwrap() backend.Backend { return b.Backend }

// Error reports an operation that still failed after retrying.
type Error struct {
	Op       string // "save", "load", "stat", "list", "remove"
	What     string // the handle's path, or the listed directory
	Attempts int
	Elapsed  time.Duration
	Err      error // the last error
}

func (e *Error) Error() string {
	msg := e.Err.Error()
	// Backends already start their messages with "op handle: ".
	if head := e.Op + " " + e.What + ": "; !strings.HasPrefix(msg, head) {
		msg = head + msg
	}
	return fmt.Sprintf("%s (gave up after %d attempts in %v)", msg, e.Attempts, e.Elapsed.Round(time.Millisecond))
}

func (e *Error) Unwrap() error { return e.Err }

// Save implements backend.Backend; rd is rewound by the wrapped Save.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	return b.do(ctx, "save", h.String(), func() error {
		return b.Backend.Save(ctx, h, rd)
	})
}

// Load implements backend.Backend. fn runs again on a retry, including when
// fn itself returned a transient error such as io.ErrUnexpectedEOF from a
// connection that broke mid-body.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	return b.do(ctx, "load", h.String(), func() error {
		return b.Backend.Load(ctx, h, length, offset, fn)
	})
}

// Stat implements backend.Backend.
func (b *Backend) Stat(ctx context.Context, h backend.Handle) (int64, error) {
	var size int64
	err := b.do(ctx, "stat", h.String(), func() error {
		var err error
		size, err = b.Backend.Stat(ctx, h)
		return err
	})
	return size, err
}

// Remove implements backend.Backend.
func (b *Backend) Remove(ctx context.Context, h backend.Handle) error {
	return b.do(ctx, "remove", h.String(), func() error {
		return b.Backend.Remove(ctx, h)
	})
}

// List implements backend.Backend. A retried listing starts over but fn is
// called only once per name; an error returned by fn is never retried.
func (b *Backend) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	return b.list(ctx, t, func(fn func(string, int64) error) error { return b.Backend.List(ctx, t, fn) }, fn)
}

// ListNames is List without sizes where the wrapped backend lists names
// faster (backend.NameLister), under the same policy.
func (b *Backend) ListNames(ctx context.Context, t backend.FileType, fn func(string) error) error {
	names := func(fn func(string, int64) error) error {
		return backend.ListNames(ctx, b.Backend, t, func(name string) error { return fn(name, -1) })
	}
	return b.list(ctx, t, names, func(name string, _ int64) error { return fn(name) })
}

// list runs a listing under b's policy: a retried listing reports no
// name twice, and fn's error ends it at once.
func (b *Backend) list(ctx context.Context, t backend.FileType, listing func(func(string, int64) error) error, fn func(string, int64) error) error {
	seen := make(map[string]struct{})
	var fnErr error
	err := b.do(ctx, "list", backend.Dir(t)+"/", func() error {
		return listing(func(name string, size int64) error {
			if _, ok := seen[name]; ok {
				return nil
			}
			seen[name] = struct{}{}
			if err := fn(name, size); err != nil {
				fnErr = err
				return &permanent{err}
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// permanent keeps a callback's error from being retried.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }

func (p *permanent) Unwrap() error { return p.err }

// do runs f under b's policy; see Do.
func (b *Backend) do(ctx context.Context, op, what string, f func() error) error {
	return run(ctx, b.opts, op, what, f)
}

// Do runs f until it succeeds, fails permanently (not backend.IsTransient),
// ctx is done, or opts.MaxElapsed is spent, with the same policy as the
// Backend decorator; op and what name the operation in errors and logs.
// Backends use it for calls made before the decorator wraps them, such as
// the bucket check when an S3 repository is opened.
func Do(ctx context.Context, opts Options, op, what string, f func() error) error {
	opts.applyDefaults()
	return run(ctx, opts, op, what, f)
}

func run(ctx context.Context, opts Options, op, what string, f func() error) error {
	start := time.Now()
	wait := opts.InitialInterval
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s %s: %w", op, what, err)
		}
		err := f()
		var p *permanent
		if err == nil || errors.As(err, &p) || !backend.IsTransient(err) {
			return err
		}
		if ctx.Err() != nil {
			return err // cancelled meanwhile; err already says so
		}
		delay := jitter(wait)
		elapsed := time.Since(start)
		if elapsed+delay > maxElapsed(ctx, opts.MaxElapsed) {
			return &Error{Op: op, What: what, Attempts: attempt, Elapsed: elapsed, Err: err}
		}
		opts.Logger.Warn("backend operation failed, retrying",
			"op", op, "file", what, "attempt", attempt, "wait", delay, "err", err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s %s: cancelled while waiting to retry after %d attempts (last error: %v): %w",
				op, what, attempt, err, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, opts.MaxInterval)
	}
}

// jitter spreads d uniformly over [d/2, 3d/2) so that clients that failed
// together do not retry together.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d)
}
