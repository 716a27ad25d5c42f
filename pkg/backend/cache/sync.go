package cache

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// staleTemp is how old a temporary file must be before a listing removes
// it: younger ones may belong to a process writing now.
const staleTemp = time.Hour

// cachedType tells whether files of type t are cached.
func cachedType(t backend.FileType) bool {
	return t == backend.IndexFile || t == backend.SnapshotFile || t == backend.PackFile
}

// Save stores h in the backend and, for index and snapshot files, in the
// cache: the command that wrote a snapshot is often followed by one that
// reads it.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if err := b.Backend.Save(ctx, h, rd); err != nil {
		return err
	}
	if h.Type != backend.IndexFile && h.Type != backend.SnapshotFile {
		return nil
	}
	data, err := readAll(rd)
	if err == nil && matches(data, h.Name) {
		err = b.dir.write(h, data)
	}
	if err != nil {
		b.log.Warn("cannot write to the cache", "file", h.String(), "err", err)
	}
	return nil
}

func readAll(rd backend.RewindReader) ([]byte, error) {
	if err := rd.Rewind(); err != nil {
		return nil, err
	}
	return io.ReadAll(rd)
}

// Remove deletes h from the backend, then from the cache.
func (b *Backend) Remove(ctx context.Context, h backend.Handle) error {
	if err := b.Backend.Remove(ctx, h); err != nil {
		return err
	}
	if cachedType(h.Type) {
		if err := b.dir.remove(h); err != nil {
			b.log.Warn("cannot remove from the cache", "file", h.String(), "err", err)
		}
	}
	return nil
}

// List lists the backend; a complete listing of index or snapshot files
// also removes from the cache those that the repository no longer holds.
func (b *Backend) List(ctx context.Context, t backend.FileType, fn func(name string, size int64) error) error {
	if t != backend.IndexFile && t != backend.SnapshotFile {
		return b.Backend.List(ctx, t, fn)
	}
	start := time.Now()
	listed := map[string]struct{}{}
	err := b.Backend.List(ctx, t, func(name string, size int64) error {
		listed[name] = struct{}{}
		return fn(name, size)
	})
	if err != nil {
		return err
	}
	b.dropUnlisted(filepath.Join(b.dir.path, backend.Dir(t)), listed, start)
	return nil
}

// CachePacks makes the packs named the ones to cache, and removes every
// other pack from the cache: the repository calls it with the packs that
// hold trees, each time it loads the index.
func (b *Backend) CachePacks(names map[string]struct{}) {
	b.mu.Lock()
	b.treePacks = names
	b.mu.Unlock()
	data := filepath.Join(b.dir.path, "data")
	subs, err := os.ReadDir(data)
	if err != nil {
		return
	}
	for _, s := range subs {
		if s.IsDir() {
			b.dropUnlisted(filepath.Join(data, s.Name()), names, time.Now())
		}
	}
}

// dropUnlisted removes the files of dir not in keep and modified before
// since (a younger one may have been cached by another process after our
// listing was taken), and temporary files left by a dead process.
func (b *Backend) dropUnlisted(dir string, keep map[string]struct{}, since time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if _, ok := keep[name]; ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		temp := strings.HasPrefix(name, ".tmp-")
		if (temp && time.Since(info.ModTime()) > staleTemp) || (!temp && backend.IsValidID(name) && info.ModTime().Before(since)) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
				b.log.Warn("cannot remove from the cache", "file", filepath.Join(dir, name), "err", err)
			}
		}
	}
}
