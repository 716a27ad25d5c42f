package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/drydock-backup/drydock/internal/fsutil"
	"github.com/drydock-backup/drydock/pkg/backend"
)

var _ backend.FileSaver = (*Backend)(nil)

// CreateFile implements backend.FileSaver: an anonymous file (O_TMPFILE) in
// the data directory, so that SaveFile can link it into place on the same
// file system. File systems without O_TMPFILE return an error and the
// caller falls back to Save.
func (b *Backend) CreateFile() (*os.File, error) {
	dir := filepath.Join(b.root, backend.Dir(backend.PackFile))
	if err := b.canAdopt(dir); err != nil {
		return nil, err
	}
	f, err := openAnonymous(dir, b.fileMode)
	if err != nil {
		return nil, fmt.Errorf("create file in %s: %w", dir, err)
	}
	// O_TMPFILE's mode went through the umask; a group-shared repository
	// needs its group bits, as Save sets them.
	if b.fileMode != privateFileMode {
		if err := f.Chmod(b.fileMode); err != nil {
			f.Close()
			return nil, fmt.Errorf("create file in %s: chmod: %w", dir, err)
		}
	}
	return f, nil
}

// canAdopt finds out once whether anonymous files can be created and
// linked here (O_TMPFILE, and /proc or CAP_DAC_READ_SEARCH for linking),
// so that a backend where they cannot does not write every pack into one
// before copying it with Save.
func (b *Backend) canAdopt(dir string) error {
	b.adoptOnce.Do(func() {
		f, err := openAnonymous(dir, privateFileMode)
		if err != nil {
			b.adoptErr = fmt.Errorf("anonymous files in %s: %w", dir, err)
			return
		}
		defer f.Close()
		probe := filepath.Join(dir, "drydock-link-probe-tmp-"+strconv.FormatUint(rand.Uint64(), 10))
		if err := linkAnonymous(f, probe); err != nil {
			b.adoptErr = fmt.Errorf("linking anonymous files in %s: %w", dir, err)
			return
		}
		_ = os.Remove(probe)
	})
	return b.adoptErr
}

// SaveFile implements backend.FileSaver with Save's guarantees: the file is
// synced before it gets a name; it is linked as "<name>-tmp-<random>" in
// the final directory and renamed over the final name (so an existing,
// possibly damaged copy is replaced, as Save does); the directory is
// synced; the file is made read-only.
func (b *Backend) SaveFile(ctx context.Context, h backend.Handle, f *os.File) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("save %s: %w", h, err)
	}
	if err := f.Sync(); err != nil && !fsutil.SyncUnsupported(err) {
		return fmt.Errorf("save %s: fsync: %w", h, translate(err))
	}
	final := b.filename(h)
	tmp, err := b.linkTemp(f, final)
	if err != nil {
		return fmt.Errorf("save %s: link: %w: %w", h, backend.ErrNotAdopted, translate(err))
	}
	return b.publish(ctx, h, tmp, final)
}

// linkTemp gives f a temporary name next to final, "<name>-tmp-<random>"
// like Save's, recreating final's directory if someone removed it.
func (b *Backend) linkTemp(f *os.File, final string) (string, error) {
	var err error
	for range 10 {
		tmp := final + "-tmp-" + strconv.FormatUint(rand.Uint64(), 10)
		err = linkAnonymous(f, tmp)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(final), b.dirMode); err != nil {
				return "", err
			}
			err = linkAnonymous(f, tmp)
		}
		if !errors.Is(err, fs.ErrExist) {
			return tmp, err
		}
	}
	return "", err
}
