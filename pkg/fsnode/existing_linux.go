//go:build linux

package fsnode

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// What a restore finds already in its target: it compares entries with
// the snapshot (restore --overwrite), re-reads them (--verify) and
// removes those the snapshot lacks (--delete), all beneath the root and
// without following a symlink, like every other write of a Root.

// Entry is what Lstat found of an existing entry.
type Entry struct {
	Mode    os.FileMode // type bits only: 0 for a regular file, os.ModeDir, ...
	Size    int64
	ModTime time.Time
	Links   uint64 // names of its inode: above 1, some may be outside the root
}

// OpenExistingRoot is OpenRoot for a directory that must exist already: a
// dry run creates nothing. A missing dir is an os.ErrNotExist.
func OpenExistingRoot(dir string) (*Root, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &os.PathError{Op: "open", Path: dir, Err: unix.ENOTDIR}
	}
	return OpenRoot(dir)
}

// Lstat returns the entry name of d; ok is false if there is none.
func (d *Dir) Lstat(name string) (e Entry, ok bool, err error) {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return Entry{}, false, nil
		}
		return Entry{}, false, d.pathErr("stat", name, err)
	}
	return Entry{Mode: typeBits(st.Mode), Size: st.Size, ModTime: time.Unix(st.Mtim.Unix()), Links: uint64(st.Nlink)}, true, nil
}

func typeBits(mode uint32) os.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return os.ModeDir
	case unix.S_IFLNK:
		return os.ModeSymlink
	case unix.S_IFIFO:
		return os.ModeNamedPipe
	case unix.S_IFSOCK:
		return os.ModeSocket
	case unix.S_IFCHR:
		return os.ModeDevice | os.ModeCharDevice
	default:
		return os.ModeDevice
	}
}

// OpenRead opens the regular file rel for reading; a symlink there is
// refused, not followed.
func (r *Root) OpenRead(rel string) (*os.File, error) {
	fd, err := r.open(rel, unix.O_RDONLY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: r.Abs(rel), Err: err}
	}
	f := os.NewFile(uintptr(fd), r.Abs(rel))
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &os.PathError{Op: "open", Path: r.Abs(rel), Err: errors.New("not a regular file")}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Names returns the names of the entries of the directory rel.
func (r *Root) Names(rel string) ([]string, error) {
	f, err := r.OpenDirectory(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// RemoveAll removes the entry name of d and, if it is a directory,
// everything in it, never following a symlink; removed is called with
// each path removed (relative to d, children before their directory).
func (d *Dir) RemoveAll(name string, removed func(rel string)) error {
	return d.removeAll(name, removed, true)
}

// WalkAll calls visit as RemoveAll would call removed, and removes
// nothing: what a dry run would delete.
func (d *Dir) WalkAll(name string, visit func(rel string)) error {
	return d.removeAll(name, visit, false)
}

func (d *Dir) removeAll(name string, visit func(rel string), remove bool) error {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return d.pathErr("stat", name, err)
	}
	flags := 0
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := d.emptyDir(name, visit, remove); err != nil {
			return err
		}
		flags = unix.AT_REMOVEDIR
	}
	if remove {
		if err := unix.Unlinkat(d.fd, name, flags); err != nil && err != unix.ENOENT {
			return d.pathErr("remove", name, err)
		}
	}
	visit(name)
	return nil
}

// emptyDir removes (or only visits) everything in the directory name of d.
func (d *Dir) emptyDir(name string, visit func(rel string), remove bool) error {
	fd, err := openatRetry(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return d.pathErr("open", name, err)
	}
	f := os.NewFile(uintptr(fd), d.path+"/"+name)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read directory %s: %w", f.Name(), err)
	}
	sub := &Dir{fd: fd, path: f.Name()}
	for _, n := range names {
		if err := sub.removeAll(n, func(rel string) { visit(name + "/" + rel) }, remove); err != nil {
			return err
		}
	}
	return nil
}

// Rmdir removes the empty directory rel.
func (r *Root) Rmdir(rel string) error {
	parent, name := splitRel(rel)
	d, err := r.Dir(parent)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR); err != nil {
		return d.pathErr("remove", name, err)
	}
	return nil
}
