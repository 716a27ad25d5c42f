package main

import (
	"context"
	"io"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// heldOutputMax bounds what a listing command prints into memory while
// its lock waits for the protocol's second check; a command with more to
// say waits for the check there.
const heldOutputMax = 4 << 20

// withListingLock runs fn, a command whose only effect is what it prints
// on stdout and stderr (snapshots, ls, find, stats, cat, list, diff;
// check, with an exclusive lock as restic's), under a lock whose 200 ms
// wait it uses: fn starts as soon as our lock file is
// written (repo.LockMode.Early), and what it prints is held back until
// the second check has passed. If the check finds a conflicting lock,
// nothing was printed and the work is done again under a lock taken
// afresh, as for any Early lock. With --no-lock there is no lock to wait
// for and fn prints directly.
func (g *globalOptions) withListingLock(ctx context.Context, exclusive bool, fn func(ctx context.Context, r *repo.Repository) error) error {
	if g.noLock {
		return g.withRepository(ctx, fn)
	}
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		stdout := g.stdout
		defer func() { g.stdout = stdout }()
		return r.WithLock(ctx, repo.LockMode{Exclusive: exclusive, Early: true}, func(ctx context.Context, l *repo.Lock) error {
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
// later writes go straight through. If the check fails, what was kept is
// dropped and every write fails with the check's error.
type heldOutput struct {
	w        io.Writer
	mu       sync.Mutex
	buf      []byte
	open     bool  // the check passed and buf was written out
	err      error // the check's failure, or the first error writing to w
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
		if len(h.buf) > 0 {
			_, h.err = w.Write(h.buf)
		}
		h.buf = nil
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
	case h.open:
		return h.w.Write(p)
	}
	h.buf = append(h.buf, p...)
	return len(p), nil
}

// release waits for the check and returns its error, or that of writing
// out what was held: the command is done printing.
func (h *heldOutput) release() error {
	<-h.resolved
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}
