// Package statedir creates and guards drydock's own directories: the state
// directory, which holds the stop journal and host lock, and the data
// directory of the default repository, which holds its password file.
// Others must not read these (the journal names the containers drydock
// stopped) or write them (a planted journal would have drydock start
// containers), so they are kept at mode 0700.
package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// Mode is the permission drydock's directories get.
const Mode fs.FileMode = 0o700

// Ensure creates dir and its missing parents with Mode. A dir that already
// exists with permissions for group or others, left by an older drydock
// or made by hand, is narrowed to owner-only, and log says so. It only
// does that to a directory the current user owns: one owned by someone
// else is not drydock's to change, and is left as is with a warning.
// log may be nil.
func Ensure(dir string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, Mode); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %w", dir, errNotDir)
	}
	perm := fi.Mode().Perm()
	if !permsMeaningful || perm&^Mode == 0 {
		return nil
	}
	if !ownedByMe(fi) {
		log.Warn("directory is open to group or others but not ours to change; restrict it to its owner", "dir", dir, "mode", perm)
		return nil
	}
	if err := os.Chmod(dir, perm&Mode); err != nil {
		return fmt.Errorf("restrict %s to its owner: %w", dir, err)
	}
	log.Warn("directory was open to group or others; restricted it to its owner", "dir", dir, "old_mode", perm, "mode", perm&Mode)
	return nil
}

var errNotDir = errors.New("not a directory")
