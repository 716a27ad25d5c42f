package directio

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// setDirect sets or clears O_DIRECT on f. File systems that cannot do
// direct I/O refuse to set it (EINVAL).
func setDirect(f *os.File, on bool) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = sc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			serr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, serr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return serr
}

func isEINVAL(err error) bool { return errors.Is(err, syscall.EINVAL) }
