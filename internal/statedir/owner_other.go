//go:build !unix

package statedir

import "io/fs"

// Permission bits mean little on these systems (Windows keeps access
// control lists), so Ensure only creates the directory.
const permsMeaningful = false

func ownedByMe(fs.FileInfo) bool { return false }
