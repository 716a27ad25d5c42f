//go:build !unix

package local

// writable only tells a missing dir here: elsewhere than on Unix a
// refused delete shows up when prune tries one.
func writable(dir string) error { return statDir(dir) }
