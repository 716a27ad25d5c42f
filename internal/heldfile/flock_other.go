//go:build !unix

package heldfile

import (
	"errors"
	"os"
)

// lock: without flock nothing can be proved dead, so Create fails and
// callers keep their safe default (nothing is swept).
func lock(*os.File, bool) error { return errors.New("held files need flock (unix only)") }
