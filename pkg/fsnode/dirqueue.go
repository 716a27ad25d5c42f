package fsnode

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// DirQueue collects directories whose metadata must be applied after their
// content: restoring anything inside a directory changes its mtime. Safe
// for concurrent use; the zero value is ready.
type DirQueue struct {
	mu   sync.Mutex
	dirs []queuedDir
}

type queuedDir struct {
	path string
	node *format.Node
}

// Add queues directory path with its node.
func (q *DirQueue) Add(path string, n *format.Node) {
	q.mu.Lock()
	q.dirs = append(q.dirs, queuedDir{path, n})
	q.mu.Unlock()
}

// Apply calls apply (ApplyMetadata if nil) on the queued directories,
// deepest first (a child's chmod/utimes does not touch its parent's times,
// but a parent may lose write/search permission that the children still
// need). All directories are tried; failures are joined.
func (q *DirQueue) Apply(apply func(path string, n *format.Node) error) error {
	if apply == nil {
		apply = ApplyMetadata
	}
	q.mu.Lock()
	dirs := q.dirs
	q.dirs = nil
	q.mu.Unlock()
	slices.SortStableFunc(dirs, func(a, b queuedDir) int {
		return strings.Count(b.path, "/") - strings.Count(a.path, "/")
	})
	var errs []error
	for _, d := range dirs {
		if err := apply(d.path, d.node); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
