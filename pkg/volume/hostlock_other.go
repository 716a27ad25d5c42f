//go:build !unix

package volume

import "errors"

// LockHost: Docker volume backups are supported on Unix hosts only.
func LockHost(string) (func(), error) {
	return nil, errors.New("drydock volumes needs a Unix host")
}
