package apprestore

import "golang.org/x/sys/unix"

// fsSpace returns the bytes an unprivileged writer may still use on the
// filesystem of dir, and its size.
func fsSpace(dir string) (free, size uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// fsDevice identifies the filesystem of dir.
func fsDevice(dir string) (uint64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Dev), true // (uint32 on linux/mips)
}
