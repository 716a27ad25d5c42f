//go:build !unix

package main

import "errors"

// lockHost: Docker volume backups are supported on Unix hosts only.
func lockHost(string) (func(), error) {
	return nil, errors.New("drydock volumes needs a Unix host")
}
