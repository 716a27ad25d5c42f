package archiver

import (
	"fmt"

	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

// CheckPatterns returns an error naming the first malformed pattern.
// Excluded treats a malformed pattern as matching nothing, so without this
// check a typo such as "[" would silently back up what the user meant to
// leave out.
func CheckPatterns(patterns []string) error {
	if err := pathmatch.Check(patterns); err != nil {
		return fmt.Errorf("exclude %w", err)
	}
	return nil
}

// Excluded reports whether path matches one of patterns, restic's
// (pathmatch): "*.tmp" and ".cache" match an entry of that name anywhere,
// "/var/lib/app/cache" that path and everything below it, "**" any
// number of directories, and "!" takes back an earlier match. Callers
// check patterns first with CheckPatterns, as a malformed list matches
// nothing here.
func Excluded(patterns []string, path string) bool {
	l, err := pathmatch.Parse(patterns)
	return err == nil && l.Match(path)
}

// ReadPatternFile reads the patterns of an exclude file as restic does
// (pathmatch.ReadFile).
func ReadPatternFile(name string) ([]string, error) {
	pats, err := pathmatch.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("exclude %w", err)
	}
	return pats, nil
}
