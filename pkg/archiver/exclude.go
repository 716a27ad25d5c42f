package archiver

import (
	"path/filepath"
	"strings"
)

// Excluded reports whether path matches one of patterns. A pattern without
// a slash matches the base name of any entry ("*.tmp", ".cache"); one with a
// slash matches the whole absolute path or any of its parent directories
// ("/var/lib/app/cache"). Patterns use filepath.Match syntax.
func Excluded(patterns []string, path string) bool {
	for _, p := range patterns {
		if !strings.Contains(p, "/") {
			if ok, _ := filepath.Match(p, filepath.Base(path)); ok {
				return true
			}
			continue
		}
		for q := path; q != "/" && q != "."; q = filepath.Dir(q) {
			if ok, _ := filepath.Match(p, q); ok {
				return true
			}
		}
	}
	return false
}
