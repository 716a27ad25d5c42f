package local

import (
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openAnonymous creates a nameless file in dir (O_TMPFILE): the kernel frees
// it if the process dies before linkAnonymous names it.
func openAnonymous(dir string, mode fs.FileMode) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return nil, &os.PathError{Op: "open O_TMPFILE", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir+"/(anonymous)"), nil
}

// linkAnonymous gives a file from openAnonymous the name path. Linking
// through /proc/self/fd needs no privilege; without /proc, AT_EMPTY_PATH
// (which needs CAP_DAC_READ_SEARCH) is the other way.
func linkAnonymous(f *os.File, path string) error {
	var err error
	if _, serr := os.Stat("/proc/self/fd"); serr == nil {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	} else {
		err = unix.Linkat(int(f.Fd()), "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
	}
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}
