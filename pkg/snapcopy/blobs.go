package snapcopy

import (
	"context"
	"fmt"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/walk"
)

// copier holds what one run shares across its snapshots.
type copier struct {
	src, dst *repo.Repository
	readers  int
	// done are trees copied, with everything below them, by an earlier
	// snapshot of this run (written by Run's goroutine between scopes).
	done map[format.ID]struct{}
	// progress counts the blobs copied; nil without Options.Progress.
	progress *counter
}

// scope is the state of one snapshot's copy.
type scope struct {
	*copier
	saver *repo.BlobSaver

	mu    sync.Mutex
	trees map[format.ID]struct{} // walked in this scope
	data  map[format.ID]struct{} // queued in this scope
}

// wanted is a data blob to copy and the file that first named it, for
// the error if it cannot be read.
type wanted struct {
	id   format.ID
	file string
}

// blobs copies every tree and data blob below root that dst lacks: one
// goroutine walks the trees (copying each as it loads it), a few read the
// data blobs it finds and hand them to the saver. The queue between them
// is short, so memory stays at a few blobs per reader whatever the
// snapshot's size. It returns the trees it walked.
func (c *copier) blobs(ctx context.Context, s *repo.BlobSaver, root format.ID) (map[format.ID]struct{}, error) {
	sc := &scope{copier: c, saver: s, trees: map[format.ID]struct{}{}, data: map[format.ID]struct{}{}}
	g, ctx := errgroup.WithContext(ctx)
	queue := make(chan wanted, 4*c.readers)
	g.Go(func() error {
		defer close(queue)
		return walk.Walk(ctx, []walk.Root{{Tree: root}}, c.readers, sc.loadTree, func(ctx context.Context, t *walk.Tree, err error) error {
			if err != nil {
				return fmt.Errorf("directory %s: %w", t.Path, err)
			}
			return sc.queueData(ctx, t, queue)
		})
	})
	for range c.readers {
		g.Go(func() error { return sc.copyData(ctx, queue) })
	}
	return sc.trees, g.Wait()
}

// loadTree reads a tree from the source and saves it, as stored, into the
// destination if that lacks it. A tree an earlier snapshot of this run
// copied comes back empty, which ends the walk there.
func (sc *scope) loadTree(ctx context.Context, id format.ID) (*format.Tree, error) {
	if _, ok := sc.done[id]; ok {
		return &format.Tree{}, nil
	}
	raw, err := sc.src.LoadBlob(ctx, format.TreeBlob, id, nil)
	if err != nil {
		return nil, err
	}
	t, err := format.DecodeTree(raw)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", id.Str(), err)
	}
	if !sc.dst.Index().Has(format.BlobHandle{ID: id, Type: format.TreeBlob}) {
		if _, err := sc.saver.SaveBlobID(ctx, format.TreeBlob, id, raw); err != nil {
			return nil, err
		}
		sc.progress.copied(len(raw))
	}
	sc.mu.Lock()
	sc.trees[id] = struct{}{}
	sc.mu.Unlock()
	return t, nil
}

// queueData queues the data blobs of t's files that dst lacks and that
// this scope has not queued yet.
func (sc *scope) queueData(ctx context.Context, t *walk.Tree, queue chan<- wanted) error {
	for _, n := range t.Tree.Nodes {
		for _, id := range n.Content {
			if sc.dst.Index().Has(format.BlobHandle{ID: id, Type: format.DataBlob}) || !sc.first(id) {
				continue
			}
			select {
			case queue <- wanted{id: id, file: path.Join(t.Path, n.Name)}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

func (sc *scope) first(id format.ID) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, ok := sc.data[id]; ok {
		return false
	}
	sc.data[id] = struct{}{}
	return true
}

// copyData reads queued blobs from the source (each alone, with the
// repository's blob reader: never a whole pack) and saves them into the
// destination, which encrypts them with its key.
func (sc *scope) copyData(ctx context.Context, queue <-chan wanted) error {
	var buf []byte
	for w := range queue {
		data, err := sc.src.LoadBlob(ctx, format.DataBlob, w.id, buf)
		if err != nil {
			return fmt.Errorf("file %s: %w", w.file, err)
		}
		if _, err := sc.saver.SaveBlobID(ctx, format.DataBlob, w.id, data); err != nil {
			return err
		}
		sc.progress.copied(len(data))
		buf = data[:0]
	}
	return nil
}
