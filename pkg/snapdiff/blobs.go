package snapdiff

import (
	"context"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// blobSet is a set of blobs.
type blobSet map[format.BlobHandle]bool

func (s blobSet) addTree(id format.ID) { s[format.BlobHandle{ID: id, Type: format.TreeBlob}] = true }

// addNode adds the blobs n refers to itself: a file's content, a folder's
// tree (not what is below it). Nil-safe.
func (s blobSet) addNode(n *format.Node) {
	if n == nil {
		return
	}
	for _, b := range n.Content {
		s[format.BlobHandle{ID: b, Type: format.DataBlob}] = true
	}
	if n.Type == format.NodeDir && n.Subtree != nil {
		s.addTree(*n.Subtree)
	}
}

// tally counts the blobs (and their bytes) only b's side needs as added
// and those only a's needs as removed; a blob of a subtree both share is
// neither.
func (w *walker) tally() {
	count := func(in, other blobSet, c *Count) {
		for h := range in {
			if other[h] || w.common[h] {
				continue
			}
			if h.Type == format.TreeBlob {
				c.TreeBlobs++
			} else {
				c.DataBlobs++
			}
			if loc, ok := w.r.Index().Lookup(h); ok {
				c.Bytes += uint64(loc.PlainLength())
			}
		}
	}
	count(w.after, w.before, &w.stats.Added)
	count(w.before, w.after, &w.stats.Removed)
}

// collect adds tree id and every blob below it to set; a subtree in set
// already is not read again.
func (w *walker) collect(ctx context.Context, id format.ID, set blobSet) error {
	set.addTree(id)
	t, err := w.r.LoadTreeCached(ctx, id)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		if n.Type == format.NodeDir && n.Subtree != nil && set[format.BlobHandle{ID: *n.Subtree, Type: format.TreeBlob}] {
			continue
		}
		set.addNode(n)
		if n.Type == format.NodeDir && n.Subtree != nil {
			if err := w.collect(ctx, *n.Subtree, set); err != nil {
				return err
			}
		}
	}
	return nil
}
