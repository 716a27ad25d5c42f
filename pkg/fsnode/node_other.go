//go:build !linux

package fsnode

import (
	"errors"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// FromLstat is not implemented on this system yet.
func FromLstat(path string) (*format.Node, error) { return nil, errors.ErrUnsupported }

// FromLstatSince is not implemented on this system yet.
func FromLstatSince(path string, old *format.Node) (*format.Node, error) {
	return nil, errors.ErrUnsupported
}

// Create is not implemented on this system yet.
func Create(path string, n *format.Node) error { return errors.ErrUnsupported }

// ApplyMetadata is not implemented on this system yet.
func ApplyMetadata(path string, n *format.Node) error { return errors.ErrUnsupported }

// LinkTarget returns n's raw symlink target (see the Linux version).
func LinkTarget(n *format.Node) string {
	if len(n.LinkTargetRaw) > 0 {
		return string(n.LinkTargetRaw)
	}
	return n.LinkTarget
}
