//go:build linux

package fsnode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// FromLstat returns the node restic would record for path, without
// following a final symlink. File content and size are left to the caller
// (Size holds st_size as a first guess for change detection, like restic;
// the archiver overwrites it with the bytes actually read). A socket yields
// ErrSocket.
func FromLstat(path string) (*format.Node, error) {
	return FromLstatSince(path, nil)
}

// FromLstatSince is FromLstat for an entry whose node in the parent
// snapshot is old (nil if none). If old is the same inode with the same
// ctime and mtime, its extended attributes are taken instead of read: the
// kernel sets ctime whenever an attribute is set or removed, and this is
// the rule by which a backup reuses an unchanged file's content, too. It
// saves a listxattr per entry of an unchanged tree.
func FromLstatSince(path string, old *format.Node) (*format.Node, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	return fromStat(path, &st, old)
}

// sameInodeSince tells whether n and old are one inode whose metadata has
// not changed in between.
func sameInodeSince(n, old *format.Node) bool {
	return old != nil && old.Type == n.Type && old.Inode == n.Inode && old.DeviceID == n.DeviceID &&
		old.ChangeTime.Equal(n.ChangeTime) && old.ModTime.Equal(n.ModTime)
}

// FromStat is FromLstat for a walker that already holds the lstat result
// of path (e.g. from fstatat on a directory fd). path is still needed for
// readlink and the xattr calls.
func FromStat(path string, st *unix.Stat_t) (*format.Node, error) {
	return fromStat(path, st, nil)
}

func fromStat(path string, st *unix.Stat_t, old *format.Node) (*format.Node, error) {
	mode := format.ModeFromUnix(st.Mode) & format.ModeMask
	n := &format.Node{
		Name:       filepath.Base(path),
		Mode:       mode,
		ModTime:    time.Unix(st.Mtim.Unix()),
		ChangeTime: time.Unix(st.Ctim.Unix()),
		UID:        st.Uid,
		GID:        st.Gid,
		User:       users.name(st.Uid),
		Group:      groups.name(st.Gid),
		Inode:      uint64(st.Ino), // field widths vary by GOARCH
		DeviceID:   uint64(st.Dev),
	}
	// restic records atime = mtime unless --with-atime (docs/format.md §8.2).
	n.AccessTime = n.ModTime
	switch {
	case mode.IsRegular():
		n.Type, n.Size, n.Links = format.NodeFile, uint64(st.Size), uint64(st.Nlink)
	case mode.IsDir():
		n.Type = format.NodeDir
	case mode&os.ModeSymlink != 0:
		n.Type, n.Links = format.NodeSymlink, uint64(st.Nlink)
		target, err := readlink(path, st.Size)
		if err != nil {
			return nil, err
		}
		n.LinkTarget = string(target)
		if !utf8.Valid(target) {
			// JSON would turn invalid bytes into U+FFFD; restic 0.16+ keeps
			// the raw bytes here, 0.14 ignores the field.
			n.LinkTargetRaw = target
		}
	case mode&os.ModeCharDevice != 0:
		n.Type, n.Links, n.Device = format.NodeCharDev, uint64(st.Nlink), uint64(st.Rdev)
	case mode&os.ModeDevice != 0:
		n.Type, n.Links, n.Device = format.NodeDev, uint64(st.Nlink), uint64(st.Rdev)
	case mode&os.ModeNamedPipe != 0:
		n.Type = format.NodeFifo
	case mode&os.ModeSocket != 0:
		return nil, fmt.Errorf("%s: %w", path, ErrSocket)
	default:
		return nil, fmt.Errorf("%s: unsupported file type (st_mode %#o)", path, st.Mode)
	}
	switch {
	case n.Type == format.NodeSymlink: // restic 0.14 stores no symlink xattrs
	case sameInodeSince(n, old):
		n.ExtendedAttributes = old.ExtendedAttributes
	default:
		xa, err := readXattrs(path)
		if err != nil {
			return nil, err
		}
		n.ExtendedAttributes = xa
	}
	return n, nil
}

// readlink reads a symlink's target; size is st_size, the target length on
// most filesystems (0 on some, e.g. /proc), so the buffer grows if needed.
func readlink(path string, size int64) ([]byte, error) {
	bufLen := int(size) + 1
	if size <= 0 || size > 1<<20 {
		bufLen = 256
	}
	for {
		buf := make([]byte, bufLen)
		n, err := unix.Readlink(path, buf)
		if err != nil {
			return nil, &os.PathError{Op: "readlink", Path: path, Err: err}
		}
		if n < len(buf) {
			return buf[:n], nil
		}
		bufLen *= 2
	}
}

// unsupported reports xattr errors that mean "this filesystem has none".
func unsupported(err error) bool {
	return errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP)
}

// readXattrs lists path's xattrs in listxattr order. Most files have none,
// so a single listxattr into a stack buffer is the common cost.
func readXattrs(path string) ([]format.ExtendedAttribute, error) {
	var small [256]byte // called directly, not via xattrCall, so it stays on the stack
	sz, err := unix.Llistxattr(path, small[:])
	list := small[:max(sz, 0)]
	if errors.Is(err, unix.ERANGE) {
		list, err = xattrCall(func(b []byte) (int, error) { return unix.Llistxattr(path, b) })
	}
	if unsupported(err) || len(list) == 0 && err == nil {
		return nil, nil
	}
	if err != nil {
		return nil, &os.PathError{Op: "listxattr", Path: path, Err: err}
	}
	var out []format.ExtendedAttribute
	for len(list) > 0 {
		i := 0
		for i < len(list) && list[i] != 0 {
			i++
		}
		name := string(list[:i])
		list = list[min(i+1, len(list)):]
		if name == "" {
			continue
		}
		val, err := xattrCall(func(b []byte) (int, error) { return unix.Lgetxattr(path, name, b) })
		if errors.Is(err, unix.ENODATA) {
			continue // removed since listxattr
		}
		if err != nil {
			return nil, &os.PathError{Op: "getxattr " + name, Path: path, Err: err}
		}
		out = append(out, format.ExtendedAttribute{Name: name, Value: val})
	}
	return out, nil
}

// xattrCall runs an xattr get/list call into a buffer of the size the
// kernel reports, retrying if the value grew in between.
func xattrCall(call func([]byte) (int, error)) ([]byte, error) {
	for {
		size, err := call(nil)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size)
		n, err := call(buf)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}
