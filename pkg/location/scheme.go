package location

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/secret"
)

// ErrUnsupportedScheme is returned for a location whose "word:" prefix
// names a kind of storage drydock cannot open (restic's b2:, azure:, gs:,
// swift: and any other).
var ErrUnsupportedScheme = errors.New("unsupported repository type")

// supportedSchemes are the location prefixes drydock opens.
var supportedSchemes = []string{"local", "s3", "sftp", "rest", "rclone"}

// schemePrefix matches a location's "word:" prefix.
var schemePrefix = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):`)

// checkScheme refuses a location with a prefix drydock does not support.
// Taken for a relative local path instead, "b2:bucket" would make init
// "succeed" into a directory named "b2:bucket" here, and the user believe
// the backup is off-site.
func checkScheme(location secret.URL) error {
	m := schemePrefix.FindStringSubmatch(location.Reveal())
	if m == nil || slices.Contains(supportedSchemes, m[1]) {
		return nil
	}
	return fmt.Errorf("%w %q: drydock supports %s (a local directory whose name holds ':' is written local:%s)",
		ErrUnsupportedScheme, m[1]+":", supportedList(), location)
}

func supportedList() string {
	list := make([]string, len(supportedSchemes))
	for i, s := range supportedSchemes {
		list[i] = s + ":"
	}
	return strings.Join(list, ", ") + " and plain paths"
}

// LocalDir returns the directory of a local location: "local:DIR" or a
// plain path. ok is false for a location with any other prefix, so that
// callers resolving relative paths never turn "b2:bucket" into a
// directory.
func LocalDir(location secret.URL) (dir string, ok bool) {
	s := location.Reveal()
	if d, found := strings.CutPrefix(s, "local:"); found {
		return d, true
	}
	return s, s != "" && !schemePrefix.MatchString(s)
}
