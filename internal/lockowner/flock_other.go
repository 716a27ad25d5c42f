//go:build !unix

package lockowner

import (
	"errors"
	"os"
)

// lockFile: without flock nothing can be proved dead; Open fails and
// drydock keeps restic's rule.
func lockFile(*os.File, bool) error {
	return errors.New("lock owners need flock (unix only)")
}
