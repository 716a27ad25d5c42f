package repo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/drydock-backup/drydock/internal/bufpool"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// ErrBlobNotFound is returned for a blob that no loaded index knows.
var ErrBlobNotFound = errors.New("blob not found in index")

// LoadIndex reads every index file, in parallel, and makes it the index
// that blob loads and saves use. Call it after locking, at the start of
// every job: another host's prune may have changed the index.
func (r *Repository) LoadIndex(ctx context.Context) error {
	ids, err := r.List(ctx, backend.IndexFile)
	if err != nil {
		return err
	}
	return r.loadIndexFiles(ctx, ids)
}

// Index returns the loaded index (an empty one before LoadIndex).
func (r *Repository) Index() *index.Index { return r.idx.Load() }

// LoadBlob returns the plaintext of a blob, appended to dst[:0]. If one copy
// is damaged, the next one is tried.
func (r *Repository) LoadBlob(ctx context.Context, t format.BlobType, id format.ID, dst []byte) ([]byte, error) {
	h := format.BlobHandle{ID: id, Type: t}
	locs := r.Index().LookupAll(h, nil)
	if len(locs) == 0 {
		return nil, fmt.Errorf("%v: %w", h, ErrBlobNotFound)
	}
	var errs []error
	for _, loc := range locs {
		out, err := r.loadBlobAt(ctx, h, loc, dst)
		if err == nil {
			return out, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// sealedBufs recycles the buffers blobs are read into before decryption:
// restoring gigabytes would otherwise allocate and zero as much again.
var sealedBufs = bufpool.New(16, 64<<20)

func (r *Repository) loadBlobAt(ctx context.Context, h format.BlobHandle, loc index.Location, dst []byte) ([]byte, error) {
	bp := sealedBufs.Get()
	defer sealedBufs.Put(bp)
	if cap(*bp) < int(loc.Length) {
		*bp = make([]byte, loc.Length)
	}
	sealed := (*bp)[:loc.Length]
	ph := backend.Handle{Type: backend.PackFile, Name: loc.PackID.String()}
	err := r.be.Load(ctx, ph, int(loc.Length), int64(loc.Offset), func(rd io.Reader) error {
		_, err := io.ReadFull(rd, sealed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load %v from pack %v: %w", h, loc.PackID.Str(), err)
	}
	b := pack.Blob{Type: h.Type, ID: h.ID, Offset: loc.Offset, Length: loc.Length, UncompressedLength: loc.UncompressedLength}
	out, err := pack.OpenBlobInPlace(r.key, dst[:0], sealed, b)
	if err != nil {
		return nil, fmt.Errorf("%v in pack %v: %w", h, loc.PackID.Str(), err)
	}
	return out, nil
}

// LoadTree loads and decodes a tree blob.
func (r *Repository) LoadTree(ctx context.Context, id format.ID) (*format.Tree, error) {
	t, _, err := r.loadTree(ctx, id)
	return t, err
}

// LoadTreeCached is LoadTree through a bounded cache of decoded trees
// (Options.TreeCache), for a process that backs up the same tree again and
// again. A tree's ID is its content's hash, so a cached tree never goes
// stale; it is only served while the index lists the blob, so a tree a
// prune removed is not found, as after a fresh open. The returned tree is
// shared: callers must not modify it.
func (r *Repository) LoadTreeCached(ctx context.Context, id format.ID) (*format.Tree, error) {
	if t, ok := r.trees.get(id); ok && r.Index().Has(format.BlobHandle{ID: id, Type: format.TreeBlob}) {
		r.treeHits.Add(1)
		return t, nil
	}
	t, size, err := r.loadTree(ctx, id)
	if err != nil {
		return nil, err
	}
	r.trees.put(id, t, treeCost(size, len(t.Nodes)))
	return t, nil
}

func (r *Repository) loadTree(ctx context.Context, id format.ID) (*format.Tree, int, error) {
	data, err := r.LoadBlob(ctx, format.TreeBlob, id, nil)
	if err != nil {
		return nil, 0, err
	}
	r.treeLoads.Add(1)
	t, err := format.DecodeTree(data)
	if err != nil {
		return nil, 0, fmt.Errorf("tree %v: %w", id.Str(), err)
	}
	return t, len(data), nil
}

// TreeCounters returns how many trees LoadTree read from the backend and
// how many it served from the cache since the Repository was opened.
func (r *Repository) TreeCounters() (loaded, cached uint64) {
	return r.treeLoads.Load(), r.treeHits.Load()
}
