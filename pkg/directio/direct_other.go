//go:build !linux

package directio

import (
	"errors"
	"os"
)

// setDirect is only implemented on Linux; elsewhere files are read through
// the cache.
func setDirect(*os.File, bool) error { return errors.ErrUnsupported }

func isEINVAL(error) bool { return false }
