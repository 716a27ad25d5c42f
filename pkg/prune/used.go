package prune

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/walk"
)

// ErrMissingData is wrapped by the errors with which prune refuses to run
// because a snapshot refers to data that is missing or unreadable.
var ErrMissingData = errors.New("snapshots refer to missing or unreadable data: prune refuses to run (run check)")

// usedSet holds every blob a snapshot uses. The value counts the index
// entries of the blob once classify has run (see dupState).
type usedSet map[format.BlobHandle]uint8

// findUsed collects the blobs (trees and file contents) that the
// snapshots reach. Every tree that is missing or damaged (cannot be
// decoded, has a directory without a subtree) is named, up to
// maxNamedDamage, in one error wrapping ErrMissingData. An error reading
// the repository (I/O, cancellation) is returned as it is: it says
// nothing about damage.
func findUsed(ctx context.Context, r *repo.Repository, idx *index.Index, snapshots []repo.Snapshot, workers int) (usedSet, error) {
	roots := make([]walk.Root, 0, len(snapshots))
	for _, sn := range snapshots {
		if sn.Tree == nil || sn.Tree.IsNull() {
			return nil, fmt.Errorf("snapshot %v has no tree; %w", sn.ID.Str(), ErrMissingData)
		}
		roots = append(roots, walk.Root{Snapshot: sn.ID, Tree: *sn.Tree})
	}
	load := func(ctx context.Context, id format.ID) (*format.Tree, error) {
		data, err := loadEveryCopy(ctx, r, idx, format.BlobHandle{ID: id, Type: format.TreeBlob})
		if err != nil {
			return nil, err
		}
		t, err := format.DecodeTree(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", repo.ErrCorrupt, err)
		}
		return t, nil
	}
	var mu sync.Mutex
	used := usedSet{}
	var damage []error
	err := walk.Walk(ctx, roots, workers, load, func(_ context.Context, t *walk.Tree, err error) error {
		fail := func(err error) error {
			if !isDamage(err) {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			damage = append(damage, fmt.Errorf("snapshot %v, tree %v (%s): %w", t.Snapshot.Str(), t.ID.Str(), t.Path, err))
			return nil // name every damaged tree, not only the first
		}
		if err != nil {
			return fail(err)
		}
		found := []format.BlobHandle{{ID: t.ID, Type: format.TreeBlob}}
		for _, n := range t.Tree.Nodes {
			switch n.Type {
			case format.NodeFile:
				for _, b := range n.Content {
					found = append(found, format.BlobHandle{ID: b, Type: format.DataBlob})
				}
			case format.NodeDir:
				if n.Subtree == nil || n.Subtree.IsNull() {
					return fail(fmt.Errorf("%w: directory %q has no subtree", repo.ErrCorrupt, n.Name))
				}
			}
		}
		mu.Lock()
		for _, b := range found {
			used[b] = 0
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(damage) > 0 {
		return nil, damageError(damage)
	}
	return used, nil
}

// maxNamedDamage bounds how many damaged trees an error names.
const maxNamedDamage = 20

// damageError names the damaged trees (the first maxNamedDamage) and wraps
// ErrMissingData and the first one's cause.
func damageError(damage []error) error {
	slices.SortFunc(damage, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d damaged or missing trees:", len(damage))
	for i, d := range damage {
		if i == maxNamedDamage {
			fmt.Fprintf(&b, "\n  ... and %d more", len(damage)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %v", d)
	}
	return fmt.Errorf("%s\n%w: %w", b.String(), ErrMissingData, errors.Unwrap(damage[0]))
}

// isDamage tells damage in the repository (a blob or pack missing, a copy
// that does not open or decode) from a failure to read it.
func isDamage(err error) bool {
	return errors.Is(err, repo.ErrCorrupt) || errors.Is(err, repo.ErrBlobNotFound) || errors.Is(err, backend.ErrNotExist)
}
