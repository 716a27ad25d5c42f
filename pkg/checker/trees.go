package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
	"github.com/drydock-backup/drydock/pkg/repo/walk"
)

// checkSnapshots loads every snapshot and checks the trees they reach.
func (c *checker) checkSnapshots(ctx context.Context) error {
	ids, err := c.r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return err
	}
	c.rep.Snapshots = len(ids)
	roots := make([]*walk.Root, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Workers)
	for i, id := range ids {
		g.Go(func() error {
			sn, err := c.r.LoadSnapshot(gctx, id)
			if cerr := gctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil && !isDamage(err) {
				return fmt.Errorf("read snapshot %v: %w", id.Str(), err) // not damage: see checkTree
			}
			if err != nil {
				c.addError(&SnapshotError{Snapshot: id, Err: err})
				return nil
			}
			roots[i] = &walk.Root{Snapshot: id, Tree: *sn.Tree}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var loaded []walk.Root
	for _, r := range roots {
		if r != nil {
			loaded = append(loaded, *r)
		}
	}
	var trees atomic.Int64
	load := func(ctx context.Context, id format.ID) (*format.Tree, error) {
		data, err := c.loadBlob(ctx, format.BlobHandle{ID: id, Type: format.TreeBlob})
		if err != nil {
			return nil, err
		}
		trees.Add(1) // loaded, so checked, even if it does not decode
		t, err := format.DecodeTree(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", repo.ErrCorrupt, err)
		}
		return t, nil
	}
	// Each load is a backend round trip: as many at once as pack reads.
	err = walk.Walk(ctx, loaded, max(c.opts.Workers, c.opts.Downloads), load, c.checkTree)
	c.rep.Trees = int(trees.Load())
	return err
}

// checkTree reports what is wrong with one tree; damage never stops the
// walk. A tree that could not be read for another reason (I/O, a
// cancelled run) ends the check with that error: it says nothing about
// the repository, and must not be reported as damage.
func (c *checker) checkTree(_ context.Context, t *walk.Tree, err error) error {
	fail := func(err error) { c.addError(&TreeError{Tree: t.ID, Snapshot: t.Snapshot, Path: t.Path, Err: err}) }
	if err != nil && !isDamage(err) {
		return fmt.Errorf("read tree %v (%s in snapshot %v): %w", t.ID.Str(), t.Path, t.Snapshot.Str(), err)
	}
	if err != nil {
		fail(err)
		return nil
	}
	unsorted, err := validate(t.Tree)
	if err != nil {
		fail(err)
	}
	if unsorted {
		c.addNotice(hintNone, "tree %v (%s in snapshot %v): nodes are not sorted by name; restic's tree rewriting will refuse it", t.ID.Str(), t.Path, t.Snapshot.Str())
	}
	for _, n := range t.Tree.Nodes {
		if n.Type != format.NodeFile {
			continue // subtrees are walked; a missing one is reported by validate
		}
		for i, b := range n.Content {
			if !c.idx.Has(format.BlobHandle{ID: b, Type: format.DataBlob}) {
				fail(fmt.Errorf("file %q: content blob %d (%v): %w", path.Join(t.Path, n.Name), i, b, repo.ErrBlobNotFound))
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

// isDamage tells damage in the repository (a blob or pack missing, a copy
// that does not open or decode) from a failure to read it.
func isDamage(err error) bool {
	var be *pack.BlobError
	return errors.As(err, &be) || errors.Is(err, repo.ErrCorrupt) || errors.Is(err, repo.ErrBlobNotFound) || errors.Is(err, backend.ErrNotExist)
}
