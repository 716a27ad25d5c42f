package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// walker visits every tree reachable from the snapshots once.
type walker struct {
	c       *checker
	g       *errgroup.Group
	visited sync.Map // format.ID → struct{}
	trees   atomic.Int64
}

// checkSnapshots loads every snapshot and walks the trees they reach.
func (c *checker) checkSnapshots(ctx context.Context) error {
	ids, err := c.r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return err
	}
	c.rep.Snapshots = len(ids)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Workers)
	w := &walker{c: c, g: g}
	for _, id := range ids {
		g.Go(func() error {
			sn, err := c.r.LoadSnapshot(gctx, id)
			if cerr := gctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				c.addError(&SnapshotError{Snapshot: id, Err: err})
				return nil
			}
			return w.walk(gctx, *sn.Tree, id, "/")
		})
	}
	err = g.Wait()
	c.rep.Trees = int(w.trees.Load())
	return err
}

// walk checks tree id unless it was seen before: in a new goroutine if the
// limit allows, else in this one (a bounded group whose workers wait for
// free slots would deadlock).
func (w *walker) walk(ctx context.Context, id, snap format.ID, p string) error {
	if _, seen := w.visited.LoadOrStore(id, struct{}{}); seen {
		return nil
	}
	task := func() error { return w.checkTree(ctx, id, snap, p) }
	if w.g.TryGo(task) {
		return nil
	}
	return task()
}

func (w *walker) checkTree(ctx context.Context, id, snap format.ID, p string) error {
	fail := func(err error) { w.c.addError(&TreeError{Tree: id, Snapshot: snap, Path: p, Err: err}) }
	data, err := w.c.loadBlob(ctx, format.BlobHandle{ID: id, Type: format.TreeBlob})
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		fail(err)
		return nil
	}
	w.trees.Add(1)
	tree, err := format.DecodeTree(data)
	if err != nil {
		fail(err)
		return nil
	}
	unsorted, err := validate(tree)
	if err != nil {
		fail(err)
	}
	if unsorted {
		w.c.addNotice("tree %v (%s in snapshot %v): nodes are not sorted by name; restic's tree rewriting will refuse it", id.Str(), p, snap.Str())
	}
	for _, n := range tree.Nodes {
		child := path.Join(p, n.Name)
		switch n.Type {
		case format.NodeFile:
			for i, b := range n.Content {
				if !w.c.idx.Has(format.BlobHandle{ID: b, Type: format.DataBlob}) {
					fail(fmt.Errorf("file %q: content blob %d (%v): %w", child, i, b, repo.ErrBlobNotFound))
				}
			}
		case format.NodeDir:
			if n.Subtree == nil || n.Subtree.IsNull() {
				continue // reported by validate
			}
			if err := w.walk(ctx, *n.Subtree, snap, child); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate is Tree.Validate, except that unsorted nodes, which restic's
// check accepts (docs/format.md §8.5), are only reported by the flag and do not hide other
// problems: the nodes are validated again in order.
func validate(t *format.Tree) (unsorted bool, err error) {
	err = t.Validate()
	if !errors.Is(err, format.ErrUnsorted) {
		return false, err
	}
	sorted := &format.Tree{Nodes: slices.Clone(t.Nodes)}
	slices.SortStableFunc(sorted.Nodes, func(a, b *format.Node) int { return strings.Compare(a.Name, b.Name) })
	return true, sorted.Validate()
}

// loadBlob loads a blob through the checker's own index, trying every
// copy; the hash is verified by pack.OpenBlob.
func (c *checker) loadBlob(ctx context.Context, h format.BlobHandle) ([]byte, error) {
	locs := c.idx.LookupAll(h, nil)
	if len(locs) == 0 {
		return nil, fmt.Errorf("%v: %w", h, repo.ErrBlobNotFound)
	}
	var errs []error
	for _, loc := range locs {
		sealed := make([]byte, loc.Length)
		ph := backend.Handle{Type: backend.PackFile, Name: loc.PackID.String()}
		err := c.r.Backend().Load(ctx, ph, int(loc.Length), int64(loc.Offset), func(rd io.Reader) error {
			_, err := io.ReadFull(rd, sealed)
			return err
		})
		if err == nil {
			b := pack.Blob{Type: h.Type, ID: h.ID, Offset: loc.Offset, Length: loc.Length, UncompressedLength: loc.UncompressedLength}
			var out []byte
			if out, err = pack.OpenBlob(c.r.Key(), nil, sealed, b); err == nil {
				return out, nil
			}
			var be *pack.BlobError
			if errors.As(err, &be) {
				be.PackID = loc.PackID
			}
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
