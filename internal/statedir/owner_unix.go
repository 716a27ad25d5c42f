//go:build unix

package statedir

import (
	"io/fs"
	"os"
	"syscall"
)

// permsMeaningful: here mode bits are what keeps others out.
const permsMeaningful = true

// ownedByMe tells whether the effective user owns fi's file.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
