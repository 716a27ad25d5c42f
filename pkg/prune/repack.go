package prune

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// repacker copies the kept blobs of the packs to repack into new packs.
type repacker struct {
	p *Plan
	s *repo.BlobSaver

	mu      sync.Mutex
	claimed map[format.BlobHandle]struct{} // copied, or being copied

	done, total uint64 // stored bytes copied (atomic) and to copy
}

// repackAll uploads new packs holding every blob in p.keep and returns
// their index (not yet written to storage).
func (p *Plan) repackAll(ctx context.Context, res *Result) (*index.Index, error) {
	added, st, err := p.r.WithRepackSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		rp := &repacker{p: p, s: s, claimed: make(map[format.BlobHandle]struct{}, len(p.keep)), total: p.keepBytes()}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(p.opts.Downloads)
		for _, id := range p.repack {
			g.Go(func() error { return rp.repackPack(gctx, id) })
		}
		return g.Wait()
	})
	if err != nil {
		return nil, fmt.Errorf("repack (nothing was deleted): %w", err)
	}
	var missing []string
	for h := range p.keep {
		if !added.Has(h) {
			missing = append(missing, h.String())
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("internal error: %d blobs were not repacked (%s); nothing was deleted",
			len(missing), strings.Join(missing[:min(len(missing), 10)], ", "))
	}
	if err := p.verifyNewPacks(ctx, added); err != nil {
		return nil, fmt.Errorf("repack (nothing was deleted): %w", err)
	}
	res.PacksWritten, res.BytesWritten = st.Packs, st.DataAddedPacked
	res.BlobsRepacked = st.DataBlobs + st.TreeBlobs
	return added, nil
}

// verifyNewPacks reads every new pack back from storage and opens each of
// its blobs (MAC, decompression, SHA-256 against the ID) before anything
// is deleted: the packs being repacked hold the only other copy, so a
// pack damaged on its way to storage must stop prune here.
func (p *Plan) verifyNewPacks(ctx context.Context, added *index.Index) error {
	type newPack struct {
		id    format.ID
		blobs []format.IndexBlob
	}
	var packs []newPack
	added.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		packs = append(packs, newPack{id, slices.Clone(blobs)})
		return true
	})
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Downloads)
	for _, np := range packs {
		g.Go(func() error {
			end := uint32(0)
			for _, b := range np.blobs {
				end = max(end, b.Offset+b.Length)
			}
			raw, err := readRange(gctx, p.r, np.id, 0, int(end))
			if err != nil {
				return fmt.Errorf("read back new pack: %w", err)
			}
			for _, b := range np.blobs {
				pb := pack.Blob{Type: b.Type, ID: b.ID, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
				if _, err := openBlob(p.r, np.id, raw[b.Offset:b.Offset+b.Length], pb); err != nil {
					return fmt.Errorf("new pack %v does not read back: %w", np.id.Str(), err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// claim returns the blobs of a pack to copy that no other worker copies.
func (rp *repacker) claim(blobs []format.IndexBlob) []format.IndexBlob {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var todo []format.IndexBlob
	for _, b := range blobs {
		h := format.BlobHandle{ID: b.ID, Type: b.Type}
		if _, keep := rp.p.keep[h]; !keep {
			continue
		}
		if _, taken := rp.claimed[h]; taken {
			continue
		}
		rp.claimed[h] = struct{}{}
		todo = append(todo, b)
	}
	return todo
}

// repackPack reads the span of a pack that holds its blobs to copy in one
// request, verifies each blob and saves it into a new pack.
func (rp *repacker) repackPack(ctx context.Context, id format.ID) error {
	todo := rp.claim(rp.p.repackBlobs[id]) // sorted by offset
	if len(todo) == 0 {
		return nil
	}
	lo := todo[0].Offset
	last := todo[len(todo)-1]
	span, err := readRange(ctx, rp.p.r, id, int64(lo), int(last.Offset+last.Length-lo))
	if err != nil {
		return err
	}
	for _, b := range todo {
		sealed := span[b.Offset-lo : b.Offset-lo+b.Length]
		pb := pack.Blob{Type: b.Type, ID: b.ID, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
		plain, err := openBlob(rp.p.r, id, sealed, pb)
		if err != nil {
			plain, err = rp.otherCopy(ctx, id, b, err)
			if err != nil {
				return err
			}
		}
		if _, err := rp.s.SaveBlobID(ctx, b.Type, b.ID, plain); err != nil {
			return fmt.Errorf("repack %v from pack %v: %w", b.ID.Str(), id.Str(), err)
		}
		rp.p.opts.RepackProgress(min(atomic.AddUint64(&rp.done, uint64(b.Length)), rp.total), rp.total)
	}
	return nil
}

// keepBytes is the stored size of the blobs to repack, one copy of each
// (the first found; copies of a blob differ in size only if one is
// compressed).
func (p *Plan) keepBytes() uint64 {
	seen := make(map[format.BlobHandle]struct{}, len(p.keep))
	var n uint64
	for _, id := range p.repack {
		for _, b := range p.repackBlobs[id] {
			h := format.BlobHandle{ID: b.ID, Type: b.Type}
			if _, keep := p.keep[h]; !keep {
				continue
			}
			if _, dup := seen[h]; !dup {
				seen[h] = struct{}{}
				n += uint64(b.Length)
			}
		}
	}
	return n
}

// otherCopy loads a blob whose copy in the pack being repacked is damaged
// from any other copy, or returns an error naming both failures.
func (rp *repacker) otherCopy(ctx context.Context, packID format.ID, b format.IndexBlob, damaged error) ([]byte, error) {
	h := format.BlobHandle{ID: b.ID, Type: b.Type}
	plain, err := loadBlob(ctx, rp.p.r, rp.p.idx, h)
	if err != nil {
		return nil, fmt.Errorf("repack %v: the copy in pack %v is damaged (%w) and no other copy is readable: %w",
			h, packID.Str(), damaged, err)
	}
	rp.p.opts.Logger.Warn("damaged blob in a pack being repacked; copied another copy", "blob", h.String(), "pack", packID.Str(), "err", damaged)
	return plain, nil
}
