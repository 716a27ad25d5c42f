package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/drydock-backup/drydock/pkg/backend"
)

var _ backend.DeleteChecker = (*Backend)(nil)

// CheckDeletes implements backend.DeleteChecker. Removing a missing name
// says too little here: the kernel answers "no such file" before it checks
// the directory's permission (only a read-only mount is reported first).
// So it asks whether this process may write the directory that holds files
// of type t: a read-only mount or a directory without write permission
// refuses deletes. A directory that does not exist holds nothing to delete.
func (b *Backend) CheckDeletes(ctx context.Context, t backend.FileType) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(b.root, backend.Dir(t))
	if t == backend.PackFile {
		dir = filepath.Join(dir, "00") // packs live one level below data/
	}
	err := writable(dir)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return &backend.DeleteRefusedError{Dir: backend.Dir(t), Err: fmt.Errorf("%s: %w", dir, err)}
	}
	return fmt.Errorf("check whether %s may be deleted from: %w", dir, err)
}

// statDir fails for a missing dir with fs.ErrNotExist.
func statDir(dir string) error {
	_, err := os.Stat(dir)
	return err
}
