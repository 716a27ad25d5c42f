//go:build unix

package lockowner

import (
	"os"
	"syscall"
)

// lockFile takes f's flock without waiting: exclusive for its owner,
// shared for a look. It fails (EWOULDBLOCK) while another open file holds
// an exclusive one. A shared look is released when f is closed.
func lockFile(f *os.File, exclusive bool) error {
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
