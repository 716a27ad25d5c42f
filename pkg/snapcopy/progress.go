package snapcopy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/walk"
)

// Progress is how far a run is: blobs and their plaintext bytes copied
// of those the destination lacks.
type Progress struct {
	Blobs, TotalBlobs int
	Bytes, TotalBytes uint64
}

// counter counts the blobs copied for Options.Progress; nil counts
// nothing.
type counter struct {
	total  Progress
	blobs  atomic.Int64
	bytes  atomic.Uint64
	report func(Progress)
}

// copied counts one blob of n plaintext bytes and reports.
func (c *counter) copied(n int) {
	if c == nil {
		return
	}
	p := c.total
	p.Blobs, p.Bytes = int(c.blobs.Add(1)), c.bytes.Add(uint64(n))
	c.report(p)
}

// measure walks the trees of sns in src, as the copy will, and counts the
// blobs dst lacks: the totals of the progress. It costs a second read of
// each tree, so Run only measures when asked for progress.
func measure(ctx context.Context, src, dst *repo.Repository, sns []repo.Snapshot, workers int) (Progress, error) {
	var mu sync.Mutex
	var total Progress
	seen := map[format.BlobHandle]struct{}{}
	count := func(h format.BlobHandle) {
		if dst.Index().Has(h) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := seen[h]; ok {
			return
		}
		seen[h] = struct{}{}
		if loc, ok := src.Index().Lookup(h); ok {
			total.TotalBlobs++
			total.TotalBytes += uint64(loc.PlainLength())
		}
	}
	roots := make([]walk.Root, 0, len(sns))
	for _, sn := range sns {
		if sn.Tree != nil {
			roots = append(roots, walk.Root{Snapshot: sn.ID, Tree: *sn.Tree})
		}
	}
	load := func(ctx context.Context, id format.ID) (*format.Tree, error) {
		count(format.BlobHandle{ID: id, Type: format.TreeBlob})
		return src.LoadTree(ctx, id)
	}
	err := walk.Walk(ctx, roots, workers, load, func(_ context.Context, t *walk.Tree, err error) error {
		if err != nil {
			return fmt.Errorf("directory %s: %w", t.Path, err)
		}
		for _, n := range t.Tree.Nodes {
			for _, id := range n.Content {
				count(format.BlobHandle{ID: id, Type: format.DataBlob})
			}
		}
		return nil
	})
	return total, err
}
