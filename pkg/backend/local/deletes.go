package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/backend"
)

var _ backend.DeleteChecker = (*Backend)(nil)

// CheckDeletes implements backend.DeleteChecker. Removing a missing name
// says nothing here (the kernel answers "no such file" before it checks
// the directory's permission), so it asks whether this process may write
// the directory that holds files of type t: a read-only mount or a
// directory without write permission refuses deletes. A directory that does
// not exist holds nothing to delete.
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
	case errors.Is(err, fs.ErrPermission), errors.Is(err, errReadOnly):
		return &backend.DeleteRefusedError{Dir: backend.Dir(t), Err: err}
	}
	return fmt.Errorf("check whether %s may be deleted from: %w", dir, err)
}

// errReadOnly is writable's answer on a read-only file system.
var errReadOnly = errors.New("read-only file system")

// statDir fails for a missing dir with fs.ErrNotExist.
func statDir(dir string) error {
	_, err := os.Stat(dir)
	return err
}
