package prune

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
// snapshots reach. Any tree that cannot be loaded or decoded, or has a
// directory without a subtree, is an error wrapping ErrMissingData.
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
		return format.DecodeTree(data)
	}
	var mu sync.Mutex
	used := usedSet{}
	err := walk.Walk(ctx, roots, workers, load, func(_ context.Context, t *walk.Tree, err error) error {
		fail := func(err error) error {
			return fmt.Errorf("snapshot %v, tree %v (%s): %w; %w", t.Snapshot.Str(), t.ID.Str(), t.Path, err, ErrMissingData)
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
					return fail(fmt.Errorf("directory %q has no subtree", n.Name))
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
	return used, nil
}
