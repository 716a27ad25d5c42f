// Package fsutil holds the file-system steps that several packages need to
// do the same way, so that durability rules live in one place.
package fsutil

import (
	"errors"
	"os"
	"path/filepath"
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

// WriteFileAtomic replaces dir/name with data so that a crash leaves either
// the old or the new content: write a temp file, fsync it, rename it over
// the target, and fsync the directory so the rename itself is durable.
func WriteFileAtomic(dir, name string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}
