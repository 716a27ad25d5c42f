//go:build !linux

package local

import (
	"errors"
	"io/fs"
	"os"
)

// openAnonymous needs Linux's O_TMPFILE; elsewhere packs are copied by Save.
func openAnonymous(string, fs.FileMode) (*os.File, error) { return nil, errors.ErrUnsupported }

func linkAnonymous(*os.File, string) error { return errors.ErrUnsupported }
