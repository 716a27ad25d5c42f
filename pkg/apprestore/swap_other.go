//go:build !linux

package apprestore

// exchangeDirs: atomic exchange is Linux's renameat2; elsewhere swapDirs
// renames twice.
func exchangeDirs(a, b string) error { return errNoExchange }

// fsSpace is unknown here: the restore itself fails if space runs out.
func fsSpace(string) (free, size uint64, err error) { return 0, 0, nil }
