package verify

import (
	"io/fs"
	"os"
	"path/filepath"
)

// removeTree deletes dir and everything below it. Without root, entries of
// a directory restored without write permission for its owner (mode 0555,
// say) cannot be removed: such directories are made writable first, and
// the removal is tried again.
func removeTree(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	// WalkDir calls the function on a directory before reading it, so that
	// the chmod also opens up directories that could not be listed.
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
