//go:build linux

package fsnode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Create makes the non-regular entry n at path: a directory (0700 until
// ApplyMetadata; an existing directory is accepted), symlink, fifo or
// device node (mknod needs root). Regular files are written by the caller.
// An existing entry of another kind is an error. Metadata is not applied;
// call ApplyMetadata afterwards.
func Create(path string, n *format.Node) error {
	d, name, err := openParent(path)
	if err != nil {
		return err
	}
	defer d.Close()
	if n.Type == format.NodeDir {
		err = unix.Mkdirat(d.fd, name, 0o700)
		if errors.Is(err, unix.EEXIST) && d.isDir(name) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("restore %s: create dir: %w", path, err)
		}
		return nil
	}
	return d.create(name, n)
}

// ApplyMetadata sets owner, mode, xattrs and finally atime/mtime of the
// entry at path from n, never following a final symlink (see
// Dir.ApplyMetadata).
func ApplyMetadata(path string, n *format.Node) error {
	d, name, err := openParent(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.ApplyMetadata(name, n)
}

// openParent opens path's parent directory, following symlinks: path is
// the caller's own, not a snapshot's.
func openParent(path string) (*Dir, string, error) {
	parent, name := filepath.Split(filepath.Clean(path))
	if parent == "" {
		parent = "."
	}
	fd, err := unix.Open(parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("restore %s: %w", path, &os.PathError{Op: "open", Path: parent, Err: err})
	}
	return &Dir{fd: fd, path: parent}, name, nil
}

func (d *Dir) isDir(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// CreateSpecial makes the symlink, fifo or device node n as name,
// replacing an entry of that name unless it is a directory.
func (d *Dir) CreateSpecial(name string, n *format.Node) error {
	err := d.create(name, n)
	if errors.Is(err, unix.EEXIST) {
		if err = d.removeNonDir(name); err == nil {
			err = d.create(name, n)
		}
	}
	return err
}

func (d *Dir) create(name string, n *format.Node) error {
	var err error
	switch n.Type {
	case format.NodeSymlink:
		err = unix.Symlinkat(LinkTarget(n), d.fd, name)
	case format.NodeFifo:
		err = unix.Mkfifoat(d.fd, name, 0o600)
	case format.NodeDev:
		err = unix.Mknodat(d.fd, name, unix.S_IFBLK|0o600, int(n.Device))
	case format.NodeCharDev:
		err = unix.Mknodat(d.fd, name, unix.S_IFCHR|0o600, int(n.Device))
	case format.NodeSocket:
		return fmt.Errorf("restore %s: %w", filepath.Join(d.path, name), ErrSocket)
	default:
		return fmt.Errorf("restore %s: cannot create node of type %q", filepath.Join(d.path, name), n.Type)
	}
	if err != nil {
		return fmt.Errorf("restore %s: create %s: %w", filepath.Join(d.path, name), n.Type, err)
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
// entry name from n, without following a symlink at name: the entry must
// be of n's type. The order matters: chown clears setuid/setgid, so chmod
// comes after it, and every step but the last changes ctime only, so times
// come last. A directory's times change whenever an entry is added below
// it: apply a directory's metadata only after its whole content is
// restored (see DirQueue). Without root, a failing chown (EPERM) is
// ignored, as restic does, and xattrs only root may set are skipped and
// named in an *XattrsNotPermittedError once the rest is applied.
func (d *Dir) ApplyMetadata(name string, n *format.Node) error {
	if n.Type == format.NodeFile || n.Type == format.NodeDir {
		flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if n.Type == format.NodeDir {
			flags |= unix.O_DIRECTORY
		}
		fd, err := openatRetry(d.fd, name, flags, 0)
		if err != nil {
			return fmt.Errorf("restore %s: %w", filepath.Join(d.path, name), err)
		}
		f := os.NewFile(uintptr(fd), filepath.Join(d.path, name))
		defer f.Close()
		return ApplyMetadataFile(f, n)
	}
	return d.applySpecial(name, n)
}

// ApplyMetadataFile is ApplyMetadata for the open regular file or
// directory f, which must be of n's type.
func ApplyMetadataFile(f *os.File, n *format.Node) error {
	fd := int(f.Fd())
	if err := checkType(fd, n); err != nil {
		return fmt.Errorf("restore %s: %w", f.Name(), err)
	}
	if err := unix.Fchown(fd, int(n.UID), int(n.GID)); err != nil && !chownMayFail(err) {
		return fmt.Errorf("restore %s: chown: %w", f.Name(), err)
	}
	if err := unix.Fchmod(fd, format.ModeToUnix(n.Mode)&0o7777); err != nil {
		return fmt.Errorf("restore %s: chmod: %w", f.Name(), err)
	}
	var denied XattrsNotPermittedError
	for _, xa := range n.ExtendedAttributes {
		err := unix.Fsetxattr(fd, xa.Name, xa.Value, 0)
		if err != nil && !unsupported(err) && !denied.add(xa.Name, err) {
			return fmt.Errorf("restore %s: setxattr %s: %w", f.Name(), xa.Name, err)
		}
	}
	if err := futimens(fd, times(n)); err != nil {
		return fmt.Errorf("restore %s: set times: %w", f.Name(), err)
	}
	return denied.result(f.Name())
}

// applySpecial is ApplyMetadata for symlinks, fifos and device nodes,
// which are not opened for I/O (opening a device can have effects). Each
// step names the entry relative to d and does not follow it; chmod and
// setxattr, which have no such form, act on an O_PATH descriptor through
// /proc, as glibc's fchmodat does for AT_SYMLINK_NOFOLLOW.
func (d *Dir) applySpecial(name string, n *format.Node) error {
	full := filepath.Join(d.path, name)
	fd, err := openatRetry(d.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("restore %s: %w", full, err)
	}
	defer unix.Close(fd)
	if err := checkType(fd, n); err != nil {
		return fmt.Errorf("restore %s: %w", full, err)
	}
	if err := unix.Fchownat(fd, "", int(n.UID), int(n.GID), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil && !chownMayFail(err) {
		return fmt.Errorf("restore %s: chown: %w", full, err)
	}
	self := "/proc/self/fd/" + strconv.Itoa(fd)
	if n.Type != format.NodeSymlink { // Linux has no symlink modes
		if err := unix.Chmod(self, format.ModeToUnix(n.Mode)&0o7777); err != nil {
			return fmt.Errorf("restore %s: chmod: %w", full, err)
		}
	}
	// The parent's descriptor and the name: the name is not followed.
	inDir := "/proc/self/fd/" + strconv.Itoa(d.fd) + "/" + name
	var denied XattrsNotPermittedError
	for _, xa := range n.ExtendedAttributes {
		err := unix.Lsetxattr(inDir, xa.Name, xa.Value, 0)
		if err != nil && !unsupported(err) && !denied.add(xa.Name, err) {
			return fmt.Errorf("restore %s: setxattr %s: %w", full, xa.Name, err)
		}
	}
	ts := times(n)
	if err := unix.UtimesNanoAt(d.fd, name, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("restore %s: set times: %w", full, err)
	}
	return denied.result(full)
}

// checkType makes sure the open entry is of the node's type, so that
// metadata meant for one kind of entry never lands on another.
func checkType(fd int, n *format.Node) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	want := map[format.NodeType]uint32{
		format.NodeFile: unix.S_IFREG, format.NodeDir: unix.S_IFDIR, format.NodeSymlink: unix.S_IFLNK,
		format.NodeFifo: unix.S_IFIFO, format.NodeDev: unix.S_IFBLK, format.NodeCharDev: unix.S_IFCHR,
	}[n.Type]
	if st.Mode&unix.S_IFMT != want {
		return fmt.Errorf("is not a %s (st_mode %#o)", n.Type, st.Mode)
	}
	return nil
}

// XattrsNotPermittedError is returned by ApplyMetadata when, without root,
// the only thing it could not apply were xattrs the kernel lets only root
// set (security.capability, trusted.*: EPERM or EACCES): everything else,
// times included, was applied, so the entry is whole and a caller treats
// this as a warning, as restic treats a failing chown. Find it with
// errors.As.
type XattrsNotPermittedError struct {
	Path  string
	Names []string // in the snapshot's order
	Err   error    // the first error
}

func (e *XattrsNotPermittedError) Error() string {
	return fmt.Sprintf("restore %s: xattrs not set, not permitted without root: %s (%v)", e.Path, strings.Join(e.Names, ", "), e.Err)
}

func (e *XattrsNotPermittedError) Unwrap() error { return e.Err }

// add records the failed xattr name if err is one a non-root user gets,
// and reports whether it did.
func (e *XattrsNotPermittedError) add(name string, err error) bool {
	if !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) || os.Geteuid() == 0 {
		return false
	}
	if e.Err == nil {
		e.Err = err
	}
	e.Names = append(e.Names, name)
	return true
}

// result is nil if no xattr was refused, else e for path.
func (e *XattrsNotPermittedError) result(path string) error {
	if len(e.Names) == 0 {
		return nil
	}
	e.Path = path
	return e
}

// chownMayFail reports the chown error restic ignores: not permitted for
// a user other than root.
func chownMayFail(err error) bool {
	return errors.Is(err, unix.EPERM) && os.Geteuid() != 0
}

// times returns n's atime and mtime; restic records atime = mtime unless
// asked otherwise, and older snapshots may lack atime.
func times(n *format.Node) [2]unix.Timespec {
	atime := n.AccessTime
	if atime.IsZero() {
		atime = n.ModTime
	}
	return [2]unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(n.ModTime.UnixNano())}
}

// futimens sets the times of the open file fd with nanosecond precision
// (utimensat with a NULL path); x/sys/unix only offers microseconds.
func futimens(fd int, ts [2]unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
