package pathmatch

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// ReadFile reads the patterns of a pattern file as restic does: one per
// line, surrounding white space trimmed, blank lines and lines starting
// with # skipped, $VARIABLES expanded from the environment ($$ for a
// literal $).
func ReadFile(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("pattern file: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	var out []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, os.Expand(line, expandVar))
	}
	return out, nil
}

func expandVar(name string) string {
	if name == "$" {
		return "$"
	}
	return os.Getenv(name)
}
