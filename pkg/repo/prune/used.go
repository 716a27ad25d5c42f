package prune

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// ErrMissingData is wrapped by the errors with which prune refuses to run
// because a snapshot refers to data that is missing or unreadable.
var ErrMissingData = errors.New("snapshots refer to missing or unreadable data: prune refuses to run (run check)")

// usedSet holds every blob a snapshot uses. The value counts the index
// entries of the blob once classify has run (see dupState).
type usedSet map[format.BlobHandle]uint8

// usedFinder walks trees, each distinct tree once, with bounded workers.
type usedFinder struct {
	r       *repo.Repository
	idx     *index.Index
	g       *errgroup.Group
	visited sync.Map // format.ID → struct{}

	mu   sync.Mutex
	used usedSet
}

// findUsed collects the blobs (trees and file contents) that the
// snapshots reach. Any tree that cannot be loaded or decoded is an error
// wrapping ErrMissingData.
func findUsed(ctx context.Context, r *repo.Repository, idx *index.Index, snapshots []repo.Snapshot, workers int) (usedSet, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	f := &usedFinder{r: r, idx: idx, g: g, used: usedSet{}}
	for _, sn := range snapshots {
		if sn.Tree == nil || sn.Tree.IsNull() {
			return nil, fmt.Errorf("snapshot %v has no tree; %w", sn.ID.Str(), ErrMissingData)
		}
	}
	for _, sn := range snapshots {
		g.Go(func() error { return f.walk(gctx, *sn.Tree, sn.ID, "/") })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return f.used, nil
}

// walk visits tree id unless it was seen: in a new goroutine if the limit
// allows, else in this one (workers waiting for free slots would deadlock).
func (f *usedFinder) walk(ctx context.Context, id, snap format.ID, p string) error {
	if _, seen := f.visited.LoadOrStore(id, struct{}{}); seen {
		return nil
	}
	task := func() error { return f.visitTree(ctx, id, snap, p) }
	if f.g.TryGo(task) {
		return nil
	}
	return task()
}

func (f *usedFinder) visitTree(ctx context.Context, id, snap format.ID, p string) error {
	fail := func(err error) error {
		return fmt.Errorf("snapshot %v, tree %v (%s): %w; %w", snap.Str(), id.Str(), p, err, ErrMissingData)
	}
	h := format.BlobHandle{ID: id, Type: format.TreeBlob}
	data, err := loadEveryCopy(ctx, f.r, f.idx, h)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		return fail(err)
	}
	tree, err := format.DecodeTree(data)
	if err != nil {
		return fail(err)
	}
	found := []format.BlobHandle{h}
	var subtrees []*format.Node
	for _, n := range tree.Nodes {
		switch n.Type {
		case format.NodeFile:
			for _, b := range n.Content {
				found = append(found, format.BlobHandle{ID: b, Type: format.DataBlob})
			}
		case format.NodeDir:
			if n.Subtree == nil || n.Subtree.IsNull() {
				return fail(fmt.Errorf("directory %q has no subtree", n.Name))
			}
			subtrees = append(subtrees, n)
		}
	}
	f.mu.Lock()
	for _, b := range found {
		f.used[b] = 0
	}
	f.mu.Unlock()
	for _, n := range subtrees {
		if err := f.walk(ctx, *n.Subtree, snap, path.Join(p, n.Name)); err != nil {
			return err
		}
	}
	return nil
}
