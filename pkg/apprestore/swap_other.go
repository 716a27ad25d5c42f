//go:build !linux

package apprestore

// exchangeDirs: atomic exchange is Linux's renameat2; elsewhere swapDirs
// renames twice.
func exchangeDirs(a, b string) error { return errNoExchange }
