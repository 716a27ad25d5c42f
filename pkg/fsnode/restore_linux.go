//go:build linux

package fsnode

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Create makes the non-regular entry n at path: a directory (0700 until
// ApplyMetadata; an existing directory is accepted), symlink, fifo or
// device node (mknod needs root). Regular files are written by the caller.
// Metadata is not applied; call ApplyMetadata afterwards.
func Create(path string, n *format.Node) error {
	var err error
	switch n.Type {
	case format.NodeDir:
		err = unix.Mkdir(path, 0o700)
		if errors.Is(err, unix.EEXIST) {
			if fi, serr := os.Lstat(path); serr == nil && fi.IsDir() {
				err = nil
			}
		}
	case format.NodeSymlink:
		err = unix.Symlink(LinkTarget(n), path)
	case format.NodeFifo:
		err = unix.Mkfifo(path, 0o600)
	case format.NodeDev:
		err = unix.Mknod(path, unix.S_IFBLK|0o600, int(n.Device))
	case format.NodeCharDev:
		err = unix.Mknod(path, unix.S_IFCHR|0o600, int(n.Device))
	case format.NodeSocket:
		return fmt.Errorf("restore %s: %w", path, ErrSocket)
	default:
		return fmt.Errorf("restore %s: cannot create node of type %q", path, n.Type)
	}
	if err != nil {
		return fmt.Errorf("restore %s: create %s: %w", path, n.Type, err)
	}
	return nil
}

// LinkTarget returns n's symlink target as raw bytes: linktarget_raw when
// present (restic 0.16+ writes it for non-UTF-8 targets, whose linktarget
// was mangled to U+FFFD by JSON), else linktarget.
func LinkTarget(n *format.Node) string {
	if len(n.LinkTargetRaw) > 0 {
		return string(n.LinkTargetRaw)
	}
	return n.LinkTarget
}

// ApplyMetadata sets owner, mode, xattrs and finally atime/mtime of the
// entry at path from n, never following a final symlink. The order matters:
// chown clears setuid/setgid, so chmod comes after it, and every step but
// the last changes ctime only, so times come last. A directory's times
// change whenever an entry is added below it: call ApplyMetadata on a
// directory only after its whole content is restored (see DirQueue).
// Without root, a failing chown (EPERM) is ignored, as restic does.
func ApplyMetadata(path string, n *format.Node) error {
	if err := unix.Lchown(path, int(n.UID), int(n.GID)); err != nil {
		if !(errors.Is(err, unix.EPERM) && os.Geteuid() != 0) {
			return fmt.Errorf("restore %s: chown: %w", path, err)
		}
	}
	if n.Type != format.NodeSymlink { // Linux has no lchmod; symlink modes are fixed
		if err := unix.Chmod(path, format.ModeToUnix(n.Mode)&0o7777); err != nil {
			return fmt.Errorf("restore %s: chmod: %w", path, err)
		}
	}
	for _, xa := range n.ExtendedAttributes {
		if err := unix.Lsetxattr(path, xa.Name, xa.Value, 0); err != nil && !unsupported(err) {
			return fmt.Errorf("restore %s: setxattr %s: %w", path, xa.Name, err)
		}
	}
	atime := n.AccessTime
	if atime.IsZero() {
		atime = n.ModTime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(n.ModTime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("restore %s: set times: %w", path, err)
	}
	return nil
}
