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
