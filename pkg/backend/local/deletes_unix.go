//go:build unix

package local

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// writable asks the kernel whether this process may create and remove
// names in dir, as access(2) with W_OK: it answers for root too, and
// EROFS on a read-only mount.
func writable(dir string) error {
	if err := statDir(dir); err != nil {
		return err
	}
	err := unix.Access(dir, unix.W_OK)
	if errors.Is(err, unix.EROFS) {
		return fmt.Errorf("%w: %w", errReadOnly, err)
	}
	return err
}
