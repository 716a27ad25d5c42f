//go:build unix

package local

import "golang.org/x/sys/unix"

// writable asks the kernel whether this process may create and remove
// names in dir, as access(2) with W_OK: it answers for root too (EROFS on
// a read-only mount).
func writable(dir string) error {
	if err := statDir(dir); err != nil {
		return err
	}
	return unix.Access(dir, unix.W_OK)
}
