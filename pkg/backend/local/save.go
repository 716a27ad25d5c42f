package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/drydock-backup/drydock/internal/fsutil"
	"github.com/drydock-backup/drydock/pkg/backend"
)

// Save implements backend.Backend with restic's write procedure:
//
//  1. create "<name>-tmp-<random>" in the final directory (creating the
//     directory if someone removed it), so the rename below stays on one
//     file system and a crash leaves only a name that listing ignores;
//  2. write the data and fsync the file, so the rename never exposes a file
//     whose blocks are not on disk;
//  3. rename it to the final name (atomic replace) and fsync the directory,
//     so the new name itself survives a crash;
//  4. make the file read-only, as a guard against accidental modification.
//
// On any error before the rename the temporary file is removed. A ctx
// cancelled during the write aborts it; nothing is renamed after a cancel.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) (err error) {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("save %s: %w", h, err)
	}
	if err := rd.Rewind(); err != nil {
		return fmt.Errorf("save %s: rewind input: %w", h, err)
	}
	final := b.filename(h)
	f, err := b.createTemp(final)
	if err != nil {
		return fmt.Errorf("save %s: create temporary file: %w", h, translate(err))
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err == nil {
			return
		}
		if !closed {
			_ = f.Close()
		}
		_ = os.Remove(tmp)
	}()

	if b.fileMode != privateFileMode {
		if err := f.Chmod(b.fileMode); err != nil {
			return fmt.Errorf("save %s: chmod %s: %w", h, tmp, translate(err))
		}
	}
	n, err := io.Copy(f, ctxReader(ctx, rd))
	if err != nil {
		return fmt.Errorf("save %s: write %s: %w", h, tmp, translate(err))
	}
	if n != rd.Length() {
		return fmt.Errorf("save %s: input gave %d bytes, expected %d", h, n, rd.Length())
	}
	if err := f.Sync(); err != nil && !fsutil.SyncUnsupported(err) {
		return fmt.Errorf("save %s: fsync %s: %w", h, tmp, translate(err))
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("save %s: close %s: %w", h, tmp, translate(err))
	}
	return b.publish(ctx, h, tmp, final)
}

// publish renames a complete, synced temporary file to its final name
// unless ctx is done, syncs the directory and makes the file read-only. It
// removes tmp if it cannot rename it; once renamed, a failure is reported
// with the file in place.
func (b *Backend) publish(ctx context.Context, h backend.Handle, tmp, final string) error {
	if err := ctx.Err(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save %s: %w", h, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save %s: rename %s: %w", h, tmp, translate(err))
	}
	if err := fsutil.SyncDir(filepath.Dir(final)); err != nil {
		return fmt.Errorf("save %s: fsync directory: %w", h, translate(err))
	}
	if err := os.Chmod(final, b.fileMode&^0o222); err != nil && !chmodIgnorable(err) {
		return fmt.Errorf("save %s: make read-only: %w", h, translate(err))
	}
	return nil
}

// createTemp creates the temporary file for final in final's directory,
// recreating the directory if it is missing.
func (b *Backend) createTemp(final string) (*os.File, error) {
	dir, pattern := filepath.Dir(final), filepath.Base(final)+"-tmp-"
	f, err := os.CreateTemp(dir, pattern)
	if errors.Is(err, fs.ErrNotExist) {
		if mkErr := os.MkdirAll(dir, b.dirMode); mkErr != nil {
			return nil, mkErr
		}
		f, err = os.CreateTemp(dir, pattern)
	}
	return f, err
}

// chmodIgnorable reports chmod errors that must not fail a Save: the file
// is complete and in place, only the read-only guard could not be set.
func chmodIgnorable(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EINVAL)
}

// ctxReader fails reads once ctx is cancelled, so that a cancelled Save
// stops writing promptly.
func ctxReader(ctx context.Context, r io.Reader) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		return r.Read(p)
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
