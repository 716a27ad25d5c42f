// Package limit caps the bandwidth of a backend's transfers: restic's
// --limit-upload and --limit-download. One budget per direction is shared
// by every transfer at once, so that the limit holds for the whole
// process however many packs are in flight.
package limit

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// chunk bounds how many bytes one read takes from the budget at a time,
// so that transfers at once share it fairly and the rate stays smooth.
const chunk = 32 << 10

// Backend is a backend whose uploads (Save) and downloads (Load) are held
// to a rate.
type Backend struct {
	backend.Backend
	up, down *budget
}

// New limits be's uploads to up and downloads to down bytes a second; 0
// leaves a direction unlimited. Both 0 returns be itself.
func New(be backend.Backend, up, down int64) backend.Backend {
	if up <= 0 && down <= 0 {
		return be
	}
	return &Backend{Backend: be, up: newBudget(up), down: newBudget(down)}
}

// Unwrap gives the limited backend, for what it offers besides transfers
// (retention, deletes, the cache).
func (b *Backend) Unwrap() backend.Backend { return b.Backend }

// ListNames passes a listing without sizes through (backend.NameLister):
// listings are not limited.
func (b *Backend) ListNames(ctx context.Context, t backend.FileType, fn func(string) error) error {
	return backend.ListNames(ctx, b.Backend, t, fn)
}

// CreateFile refuses to hand out a file of the storage to write a pack
// into in place (a local repository does): that write would bypass the
// limit, so packs are saved through Save.
func (b *Backend) CreateFile() (*os.File, error) {
	return nil, errors.New("bandwidth limited: packs are saved through the limit")
}

// SaveFile is never reached: CreateFile gives no file.
func (b *Backend) SaveFile(context.Context, backend.Handle, *os.File) error {
	return backend.ErrNotAdopted
}

// Save uploads rd within the upload budget.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if b.up == nil {
		return b.Backend.Save(ctx, h, rd)
	}
	return b.Backend.Save(ctx, h, &rewinder{RewindReader: rd, r: reader{ctx: ctx, rd: rd, budget: b.up}})
}

// Load downloads within the download budget.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(rd io.Reader) error) error {
	if b.down == nil {
		return b.Backend.Load(ctx, h, length, offset, fn)
	}
	return b.Backend.Load(ctx, h, length, offset, func(rd io.Reader) error {
		return fn(&reader{ctx: ctx, rd: rd, budget: b.down})
	})
}

// budget hands out bytes at a rate: each reservation moves the time the
// next may start by its size over the rate.
type budget struct {
	rate float64 // bytes a second

	mu   sync.Mutex
	next time.Time
}

func newBudget(rate int64) *budget {
	if rate <= 0 {
		return nil
	}
	return &budget{rate: float64(rate)}
}

// take waits until n more bytes fit the rate, or ctx ends.
func (b *budget) take(ctx context.Context, n int) error {
	b.mu.Lock()
	now := time.Now()
	if b.next.Before(now) {
		b.next = now
	}
	start := b.next
	b.next = b.next.Add(time.Duration(float64(n) / b.rate * float64(time.Second)))
	b.mu.Unlock()
	wait := time.Until(start)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// reader reads rd within a budget.
type reader struct {
	ctx    context.Context
	rd     io.Reader
	budget *budget
}

func (r *reader) Read(p []byte) (int, error) {
	if len(p) > chunk {
		p = p[:chunk]
	}
	n, err := r.rd.Read(p)
	if n > 0 {
		if werr := r.budget.take(r.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// rewinder is a RewindReader whose reads are limited. It hides the
// reader's io.ReaderAt (a backend would read that past the limit).
type rewinder struct {
	backend.RewindReader
	r reader
}

func (w *rewinder) Read(p []byte) (int, error) { return w.r.Read(p) }
