package main

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// heldOutputMax bounds what a listing command prints into memory while
// its lock waits for the protocol's second check; a command with more to
// say waits for the check there.
const heldOutputMax = 4 << 20

// Once the lock is confirmed, output is written out in batches of up to
// outputBatch bytes, at most outputDelay after it was printed: ls wrote
// each of 20,000 lines with a system call of its own.
const (
	outputBatch = 64 << 10
	outputDelay = 50 * time.Millisecond
)

// treeListingLock is the lock of snapshots, ls and find: shared, checked
// again as soon as it is written (docs/format.md §9). They read nothing
// but snapshot files and trees, each checked against its ID, and write
// nothing but their lock, so what the 200 ms wait guards against on
// storage whose listings lag, a prune that began an instant before, can
// only make them fail with the name of a file that is gone, never print
// a wrong listing.
var treeListingLock = repo.LockMode{NoRecheckWait: true}

// withListingLock runs fn, a command whose only effect is what it prints
// on stdout and stderr (snapshots, ls, find, stats, cat, list, diff;
// check, with an exclusive lock as restic's), under a lock of mode whose
// 200 ms wait it uses: fn starts as soon as our lock file is written
// (mode is made Early), and what it prints is held back until the
// second check has passed. If the check finds a conflicting lock,
// nothing was printed and the work is done again under a lock taken
// afresh, as for any Early lock. With --no-lock there is no lock to wait
// for and fn prints directly.
func (g *globalOptions) withListingLock(ctx context.Context, mode repo.LockMode, fn func(ctx context.Context, r *repo.Repository) error) error {
	if g.noLock {
		return g.withRepository(ctx, fn)
	}
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		stdout := g.stdout
		defer func() { g.stdout = stdout }()
		mode.Early = true
		return r.WithLock(ctx, mode, func(ctx context.Context, l *repo.Lock) error {
			held := holdOutput(ctx, stdout, l)
			g.stdout = held
			err := fn(ctx, r)
			if rerr := held.release(); err == nil {
				err = rerr
			}
			return err
		})
	})
}

// heldOutput is stdout while a lock is unconfirmed: writes are kept in
// memory until the lock's second check passes, then written out, and
// later writes are batched (outputBatch, outputDelay) until release.
// If the check fails, what was kept is dropped and every write fails with
// the check's error.
type heldOutput struct {
	w        io.Writer
	mu       sync.Mutex
	buf      []byte
	open     bool        // the check passed: buf is written out in batches
	direct   bool        // released: writes go straight through
	timer    *time.Timer // writes out buf outputDelay after a batch began
	err      error       // the check's failure, or the first error writing to w
	resolved chan struct{}
}

// holdOutput holds what is written for w until l is confirmed.
func holdOutput(ctx context.Context, w io.Writer, l *repo.Lock) *heldOutput {
	h := &heldOutput{w: w, resolved: make(chan struct{})}
	go func() {
		defer close(h.resolved)
		err := l.Confirmed(ctx)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err != nil {
			h.err, h.buf = err, nil
			return
		}
		h.open = true
		h.writeOut()
	}()
	return h
}

func (h *heldOutput) Write(p []byte) (int, error) {
	h.mu.Lock()
	for !h.open && h.err == nil && len(h.buf)+len(p) > heldOutputMax {
		h.mu.Unlock()
		<-h.resolved
		h.mu.Lock()
	}
	defer h.mu.Unlock()
	switch {
	case h.err != nil:
		return 0, h.err
	case h.direct:
		return h.w.Write(p)
	}
	h.buf = append(h.buf, p...)
	switch {
	case !h.open:
	case len(h.buf) >= outputBatch:
		h.writeOut()
	case h.timer == nil:
		h.timer = time.AfterFunc(outputDelay, func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.writeOut()
		})
	}
	return len(p), nil
}

// writeOut writes what buf holds; h.mu is held.
func (h *heldOutput) writeOut() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if len(h.buf) > 0 && h.err == nil {
		_, h.err = h.w.Write(h.buf)
	}
	h.buf = h.buf[:0]
}

// release waits for the check, writes out what is held and returns the
// check's error or that of writing: the command is done printing, and
// anything written later goes straight through.
func (h *heldOutput) release() error {
	<-h.resolved
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.writeOut()
		h.direct = true
	}
	return h.err
}
