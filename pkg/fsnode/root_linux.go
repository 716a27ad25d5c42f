//go:build linux

package fsnode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Root confines writes to one directory tree. Every entry below it is
// reached from the root's descriptor without following any symlink: with
// openat2's RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the kernel has it,
// else one component at a time with O_NOFOLLOW. A symlink in a snapshot,
// or one already in the target, is created or replaced, never followed, so
// a crafted snapshot cannot make a restore write, chmod, chown or set the
// times of anything outside the target, nor of another entry inside it.
//
// Paths given to a Root are relative and slash-separated ("a/b/c"; ""
// is the root itself); every component must be a valid entry name.
type Root struct {
	fd      int
	path    string
	openat2 bool // the kernel has openat2 and a seccomp filter lets us use it
}

// resolveBeneath is how openat2 resolves a Root's paths: below the root,
// through no symlink at all (not even the last component).
const resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// OpenRoot creates dir (and its parents, 0700) if needed and opens it. dir
// itself is the caller's choice and may be reached through symlinks.
func OpenRoot(dir string) (*Root, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	r := &Root{fd: fd, path: dir}
	// Kernels before 5.6 lack openat2, and older container seccomp profiles
	// refuse it with EPERM or ENOSYS: then walk component by component.
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveBeneath}
	if pfd, err := unix.Openat2(fd, ".", how); err == nil {
		unix.Close(pfd)
		r.openat2 = true
	}
	return r, nil
}

// Close closes the root's descriptor.
func (r *Root) Close() error { return unix.Close(r.fd) }

// Path returns the root's path, as given to OpenRoot.
func (r *Root) Path() string { return r.path }

// Abs returns the path of rel for messages.
func (r *Root) Abs(rel string) string { return filepath.Join(r.path, filepath.FromSlash(rel)) }

// errBadPath is returned for a path a Root refuses to resolve.
var errBadPath = errors.New("not a relative path of valid entry names")

func checkRel(rel string) error {
	if rel == "" {
		return nil
	}
	for name := range strings.SplitSeq(rel, "/") {
		if name == "" || name == "." || name == ".." {
			return errBadPath
		}
	}
	return nil
}

// open opens rel below the root, following no symlink.
func (r *Root) open(rel string, flags int, mode uint32) (int, error) {
	if err := checkRel(rel); err != nil {
		return -1, err
	}
	flags |= unix.O_CLOEXEC | unix.O_NOFOLLOW
	if rel == "" {
		rel = "."
	}
	if !r.openat2 {
		return r.walkOpen(rel, flags, mode)
	}
	how := &unix.OpenHow{Flags: uint64(flags), Mode: uint64(mode), Resolve: resolveBeneath}
	for {
		fd, err := unix.Openat2(r.fd, rel, how)
		// EAGAIN: a concurrent rename somewhere in the file system made the
		// kernel unsure the walk stayed beneath; it asks for a retry.
		if err != unix.EINTR && err != unix.EAGAIN {
			return fd, err
		}
	}
}

// walkOpen is open without openat2: each directory on the way is opened
// with O_NOFOLLOW from the one before.
func (r *Root) walkOpen(rel string, flags int, mode uint32) (int, error) {
	dir, rest := r.fd, rel
	for {
		name, after, more := strings.Cut(rest, "/")
		if !more {
			fd, err := openatRetry(dir, name, flags, mode)
			if dir != r.fd {
				unix.Close(dir)
			}
			return fd, err
		}
		next, err := openatRetry(dir, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if dir != r.fd {
			unix.Close(dir)
		}
		if err != nil {
			return -1, err
		}
		dir, rest = next, after
	}
}

func openatRetry(dir int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dir, name, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// CreateFile creates the regular file rel (mode 0600) for writing. An
// entry already there that is not a directory is removed first, so the
// restore never writes into an existing inode (which may be a hardlink to
// a file elsewhere) nor through a symlink.
func (r *Root) CreateFile(rel string) (*os.File, error) {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL
	fd, err := r.open(rel, flags, 0o600)
	if err == unix.EEXIST || err == unix.ELOOP {
		if err = r.removeNonDir(rel); err == nil {
			fd, err = r.open(rel, flags, 0o600)
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: r.Abs(rel), Err: err}
	}
	return os.NewFile(uintptr(fd), r.Abs(rel)), nil
}

// OpenFile opens the existing regular file rel for writing, without
// truncating it.
func (r *Root) OpenFile(rel string) (*os.File, error) {
	fd, err := r.open(rel, unix.O_WRONLY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: r.Abs(rel), Err: err}
	}
	return os.NewFile(uintptr(fd), r.Abs(rel)), nil
}

// OpenDirectory opens the directory rel for reading its entries or
// applying its metadata (see ApplyMetadataFile).
func (r *Root) OpenDirectory(rel string) (*os.File, error) {
	fd, err := r.open(rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: r.Abs(rel), Err: err}
	}
	return os.NewFile(uintptr(fd), r.Abs(rel)), nil
}

// removeNonDir removes the entry rel unless it is a directory.
func (r *Root) removeNonDir(rel string) error {
	parent, name := splitRel(rel)
	d, err := r.Dir(parent)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.removeNonDir(name)
}

// splitRel splits rel into its parent directory and last name.
func splitRel(rel string) (parent, name string) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}

// Dir opens the directory rel below the root, for work on its entries.
func (r *Root) Dir(rel string) (*Dir, error) {
	fd, err := r.open(rel, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open directory", Path: r.Abs(rel), Err: err}
	}
	return &Dir{fd: fd, path: r.Abs(rel)}, nil
}

// Link makes newRel a hardlink of the existing file oldRel; neither path
// goes through a symlink, and a symlink at oldRel is refused, not followed.
func (r *Root) Link(oldRel, newRel string) error {
	oldParent, oldName := splitRel(oldRel)
	od, err := r.Dir(oldParent)
	if err != nil {
		return err
	}
	defer od.Close()
	newParent, newName := splitRel(newRel)
	nd, err := r.Dir(newParent)
	if err != nil {
		return err
	}
	defer nd.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(od.fd, oldName, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "link", Path: r.Abs(oldRel), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return &os.PathError{Op: "link", Path: r.Abs(oldRel), Err: errors.New("not a regular file")}
	}
	err = unix.Linkat(od.fd, oldName, nd.fd, newName, 0)
	if err == unix.EEXIST {
		if err = nd.removeNonDir(newName); err == nil {
			err = unix.Linkat(od.fd, oldName, nd.fd, newName, 0)
		}
	}
	if err != nil {
		return &os.PathError{Op: "link", Path: r.Abs(newRel), Err: err}
	}
	return nil
}

// SetAside renames the entry rel to rel+suffix, never replacing an entry
// of that name; if one exists, rel is removed instead. It reports where the
// entry is now ("" if removed).
func (r *Root) SetAside(rel, suffix string) (string, error) {
	parent, name := splitRel(rel)
	d, err := r.Dir(parent)
	if err != nil {
		return "", err
	}
	defer d.Close()
	err = unix.Renameat2(d.fd, name, d.fd, name+suffix, unix.RENAME_NOREPLACE)
	if err == nil {
		return r.Abs(rel + suffix), nil
	}
	if err := unix.Unlinkat(d.fd, name, 0); err != nil {
		return "", &os.PathError{Op: "remove", Path: r.Abs(rel), Err: err}
	}
	return "", nil
}

// Dir is an open directory below a Root: entries are created in it by
// name, and their metadata set, without following symlinks.
type Dir struct {
	fd   int
	path string
}

// Close closes the directory.
func (d *Dir) Close() error { return unix.Close(d.fd) }

func (d *Dir) pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: filepath.Join(d.path, name), Err: err}
}

// Mkdir creates the directory name (0700 until its metadata is applied).
// An existing directory is kept; any other entry of that name is replaced.
func (d *Dir) Mkdir(name string) error {
	err := unix.Mkdirat(d.fd, name, 0o700)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				return nil
			}
			if err = unix.Unlinkat(d.fd, name, 0); err == nil {
				err = unix.Mkdirat(d.fd, name, 0o700)
			}
		}
	}
	if err != nil {
		return d.pathErr("mkdir", name, err)
	}
	return nil
}

// removeNonDir removes the entry name unless it is a directory, which is
// an error: a restore replaces files, never whole directories.
func (d *Dir) removeNonDir(name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return d.pathErr("stat", name, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return d.pathErr("replace", name, fmt.Errorf("a directory is in the way: %w", unix.EISDIR))
	}
	if err := unix.Unlinkat(d.fd, name, 0); err != nil {
		return d.pathErr("remove", name, err)
	}
	return nil
}

// Remove removes the entry name unless it is a directory; a missing entry
// is not an error.
func (d *Dir) Remove(name string) error { return d.removeNonDir(name) }
