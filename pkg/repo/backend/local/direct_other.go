//go:build !linux

package local

import (
	"errors"
	"os"
)

// openDirect is only implemented on Linux; loads use the page cache.
func openDirect(string) (*os.File, error) {
	return nil, errors.ErrUnsupported
}
