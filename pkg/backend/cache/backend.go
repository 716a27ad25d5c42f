package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Backend is a backend with a cache in front: index and snapshot files
// and tree packs are served from the cache when it holds them, and kept
// there when they are loaded or saved. Everything else goes straight to
// the backend it wraps.
type Backend struct {
	backend.Backend
	dir *Dir
	log *slog.Logger

	mu        sync.Mutex
	treePacks map[string]struct{} // nil until CachePacks: no pack is cached
	checked   map[string]struct{} // cached packs verified by this process
	// packLocks serialise the download of one pack (by the first byte of
	// its name): trees are read in parallel, often from the same pack.
	packLocks [256]sync.Mutex
}

var (
	_ backend.Backend   = (*Backend)(nil)
	_ backend.PackCache = (*Backend)(nil)
)

// New returns be with the cache dir in front; log (nil discards) hears
// about cache files that could not be written or were found damaged.
func New(be backend.Backend, dir *Dir, log *slog.Logger) *Backend {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Backend{Backend: be, dir: dir, log: log, checked: map[string]struct{}{}}
}

// Unwrap returns the backend behind the cache.
func (b *Backend) Unwrap() backend.Backend { return b.Backend }

// Load serves index and snapshot files and tree packs from the cache,
// fetching and keeping them whole on a miss.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(rd io.Reader) error) error {
	switch {
	case h.Type == backend.IndexFile || h.Type == backend.SnapshotFile:
		data, err := b.loadFile(ctx, h)
		if err != nil {
			return err
		}
		return serve(h, bytes.NewReader(data), int64(len(data)), length, offset, fn)
	case h.Type == backend.PackFile && b.isTreePack(h.Name):
		return b.loadPack(ctx, h, length, offset, fn)
	}
	return b.Backend.Load(ctx, h, length, offset, fn)
}

// loadFile returns h from the cache, or fetches and caches it.
func (b *Backend) loadFile(ctx context.Context, h backend.Handle) ([]byte, error) {
	data, err := b.dir.read(h)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, errMismatch) {
		b.log.Warn("damaged file in the cache removed; loading it from the repository", "file", h.String(), "cache", b.dir.path)
	}
	return b.fetch(ctx, h)
}

// fetch loads all of h from the backend and caches it if it is intact;
// a damaged file is returned as it is, for the caller to judge.
func (b *Backend) fetch(ctx context.Context, h backend.Handle) ([]byte, error) {
	var buf bytes.Buffer
	err := b.Backend.Load(ctx, h, 0, 0, func(rd io.Reader) error {
		buf.Reset()
		_, err := buf.ReadFrom(rd)
		return err
	})
	if err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if matches(data, h.Name) {
		if err := b.dir.write(h, data); err != nil {
			b.log.Warn("cannot write to the cache", "file", h.String(), "err", err)
		}
	}
	return data, nil
}

// loadPack serves a range of a tree pack from its cached copy, which it
// downloads whole first if need be. If the cache cannot hold it, the range
// is loaded from the backend as without a cache.
func (b *Backend) loadPack(ctx context.Context, h backend.Handle, length int, offset int64, fn func(rd io.Reader) error) error {
	f, err := b.openPack(ctx, h)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.log.Debug("pack not cached", "file", h.String(), "err", err)
		return b.Backend.Load(ctx, h, length, offset, fn)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return serve(h, f, st.Size(), length, offset, fn)
}

// openPack opens the cached copy of pack h, checked against its name once
// per process, fetching it first if it is not cached or damaged.
func (b *Backend) openPack(ctx context.Context, h backend.Handle) (*os.File, error) {
	lock := b.packLock(h.Name)
	lock.Lock()
	defer lock.Unlock()
	if f, err := os.Open(b.dir.file(h)); err == nil {
		ok, err := b.verified(f, h.Name)
		if ok {
			return f, nil
		}
		f.Close()
		if err == nil {
			b.log.Warn("damaged pack in the cache removed; loading it from the repository", "file", h.String(), "cache", b.dir.path)
		}
		_ = b.dir.remove(h)
	}
	data, err := b.fetch(ctx, h)
	if err != nil {
		return nil, err
	}
	if !matches(data, h.Name) {
		return nil, fmt.Errorf("%v: downloaded content does not match its name", h)
	}
	b.markChecked(h.Name)
	return os.Open(b.dir.file(h))
}

// verified tells whether the cached pack f is intact, hashing it only the
// first time this process opens it: a tree pack is read many times.
func (b *Backend) verified(f *os.File, name string) (bool, error) {
	b.mu.Lock()
	_, ok := b.checked[name]
	b.mu.Unlock()
	if ok {
		return true, nil
	}
	ok, err := matchesFile(f, name)
	if ok {
		b.markChecked(name)
	}
	return ok, err
}

func (b *Backend) markChecked(name string) {
	b.mu.Lock()
	b.checked[name] = struct{}{}
	b.mu.Unlock()
}

func (b *Backend) packLock(name string) *sync.Mutex {
	n, _ := strconv.ParseUint(name[:2], 16, 8) // a valid handle's name is hex
	return &b.packLocks[n]
}

func (b *Backend) isTreePack(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.treePacks[name]
	return ok && len(name) >= 2
}

// serve calls fn with the bytes [offset, offset+length) of a file of size
// bytes read from r; length 0 means up to the end, as for Backend.Load.
func serve(h backend.Handle, r io.ReaderAt, size int64, length int, offset int64, fn func(rd io.Reader) error) error {
	end := size
	if length > 0 {
		end = offset + int64(length)
	}
	if offset < 0 || length < 0 || offset > size || end > size {
		return fmt.Errorf("load %v: range %d+%d of %d bytes: %w", h, offset, length, size, backend.ErrRange)
	}
	return fn(io.NewSectionReader(r, offset, end-offset))
}
