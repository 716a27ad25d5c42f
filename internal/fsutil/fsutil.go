// Package fsutil holds the file-system steps that several packages need to
// do the same way, so that durability rules live in one place.
package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// SyncDir fsyncs directory dir, so that a file created, renamed or removed
// in it survives a crash: fsyncing a file makes its data durable, not its
// name. A file system that cannot sync directories (SyncUnsupported) is
// not an error. Errors name dir; a missing dir wraps fs.ErrNotExist.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if SyncUnsupported(err) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// SyncUnsupported reports fsync errors that mean "this file system cannot
// sync" (some network and FUSE file systems, procfs): there is nothing to
// wait for, and failing a save over it would leave the data unsaved.
func SyncUnsupported(err error) bool {
	return errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EINVAL)
}
