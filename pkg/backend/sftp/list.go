package sftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// List implements backend.Backend. Packs are listed from the two-hex
// subdirectories of data/, several directories at a time.
func (b *Backend) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := backend.Dir(t)
	if dir == "" {
		return fmt.Errorf("list %s: %w: type cannot be listed", t, backend.ErrInvalidHandle)
	}
	c, release, err := b.begin(ctx, backend.Handle{Type: backend.ConfigFile})
	if err != nil {
		return fmt.Errorf("list %s/: %w", dir, err)
	}
	defer release()
	full := path.Join(b.cfg.Path, dir)
	if t != backend.PackFile {
		entries, err := b.readDir(c, full)
		if err != nil {
			return fmt.Errorf("list %s/: %w", dir, err)
		}
		return emit(entries, fn)
	}
	return b.listPacks(ctx, c, full, fn)
}

// readDir returns the regular files of dir whose names are IDs; a missing
// directory has none.
func (b *Backend) readDir(c *conn, dir string) ([]fs.FileInfo, error) {
	all, err := c.client.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", dir, b.translate(c, err))
	}
	var files []fs.FileInfo
	for _, fi := range all {
		if fi.Mode().IsRegular() && backend.IsValidID(fi.Name()) {
			files = append(files, fi)
		}
	}
	return files, nil
}

func emit(files []fs.FileInfo, fn func(string, int64) error) error {
	for _, fi := range files {
		if err := fn(fi.Name(), fi.Size()); err != nil {
			return err
		}
	}
	return nil
}

// listPacks lists data/XX/ for every two-hex XX, reading up to
// Connections directories at a time (each listing is several round
// trips) while fn is called from this goroutine only.
func (b *Backend) listPacks(ctx context.Context, c *conn, dataDir string, fn func(string, int64) error) error {
	all, err := c.client.ReadDir(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list data/: read directory %s: %w", dataDir, b.translate(c, err))
	}
	var subdirs []string
	for _, fi := range all {
		if fi.IsDir() && isHex2(fi.Name()) {
			subdirs = append(subdirs, fi.Name())
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan string)
	results := make(chan []fs.FileInfo)
	g.Go(func() error {
		defer close(jobs)
		for _, d := range subdirs {
			select {
			case jobs <- d:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range min(b.cfg.Connections, len(subdirs)) {
		g.Go(func() error {
			for d := range jobs {
				files, err := b.readDir(c, path.Join(dataDir, d))
				if err != nil {
					return err
				}
				select {
				case results <- files:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	waited := make(chan error, 1)
	go func() {
		waited <- g.Wait()
		close(results)
	}()
	var fnErr error
	for files := range results {
		if fnErr == nil {
			if fnErr = emit(files, fn); fnErr != nil {
				cancel()
			}
		}
	}
	if err := <-waited; fnErr == nil && err != nil {
		return fmt.Errorf("list data/: %w", err)
	}
	return fnErr
}

func isHex2(s string) bool {
	if len(s) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
