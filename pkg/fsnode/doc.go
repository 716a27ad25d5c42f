// Package fsnode converts between filesystem entries and restic tree nodes
// (format.Node), recording exactly what restic 0.14 records (docs/format.md §8.2,
// docs/format.md §11.3), and provides the primitives a restorer needs: creating
// non-regular entries, applying metadata, and re-linking hardlinks.
//
// Only Linux is implemented; other systems get ErrUnsupported.
package fsnode

import "errors"

// ErrSocket is returned by FromLstat for a socket: restic does not store
// sockets, so a walker skips the entry.
var ErrSocket = errors.New("socket: not stored")
