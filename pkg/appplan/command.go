package appplan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ParseCommand parses a hook label. Like a Dockerfile's CMD, a JSON array
// (`["pg_dump","-f","/backup/db.sql"]`) is exec'd as is, which works in
// images without a shell; any other text runs as `/bin/sh -c <text>`.
func ParseCommand(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, errors.New("empty command")
	}
	if strings.HasPrefix(v, "[") {
		var argv []string
		if err := json.Unmarshal([]byte(v), &argv); err != nil {
			return nil, fmt.Errorf("command %q: not a JSON array of strings: %w", Clip(v), err)
		}
		if len(argv) == 0 || argv[0] == "" {
			return nil, fmt.Errorf("command %q: empty argv", Clip(v))
		}
		return argv, nil
	}
	return []string{"/bin/sh", "-c", v}, nil
}
