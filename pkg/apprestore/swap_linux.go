package apprestore

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps the directories at a and b in one atomic step
// (renameat2 RENAME_EXCHANGE): a crash leaves one or the other complete in
// place, never neither. errNoExchange when the filesystem cannot.
func exchangeDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	return err
}

// fsSpace returns the bytes an unprivileged writer may still use on the
// filesystem of dir, and its size.
func fsSpace(dir string) (free, size uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}
