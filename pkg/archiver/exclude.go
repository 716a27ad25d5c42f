package archiver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckPatterns returns an error naming the first malformed pattern.
// Excluded treats a malformed pattern as matching nothing, so without this
// check a typo such as "[" would silently back up what the user meant to
// leave out.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		// Match checks the whole pattern's syntax even when the name does
		// not match, so any name will do.
		if _, err := filepath.Match(p, ""); err != nil {
			return fmt.Errorf("exclude pattern %q: %w", p, err)
		}
	}
	return nil
}

// Excluded reports whether path matches one of patterns. A pattern without
// a slash matches the base name of any entry ("*.tmp", ".cache"); one with a
// slash matches the whole absolute path or any of its parent directories
// ("/var/lib/app/cache"). Patterns use filepath.Match syntax; callers check
// them first with CheckPatterns, as a malformed one matches nothing here.
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

// ReadPatternFile reads the patterns of an exclude file as restic does:
// one per line, surrounding white space trimmed, blank lines and lines
// starting with # skipped, $VARIABLES expanded from the environment.
func ReadPatternFile(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("exclude file: %w", err)
	}
	var out []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, os.ExpandEnv(line))
	}
	return out, nil
}
