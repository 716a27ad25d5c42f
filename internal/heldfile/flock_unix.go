//go:build unix

package heldfile

import (
	"os"
	"syscall"
)

// lock takes f's flock without waiting: exclusive for its maker or a
// sweeper, shared for a look. It fails (EWOULDBLOCK) while another open
// file holds an exclusive one.
func lock(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
