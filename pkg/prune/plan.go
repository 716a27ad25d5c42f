package prune

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// Plan is what a prune will do; NewPlan makes it without changing the
// repository, Execute carries it out.
type Plan struct {
	r     *repo.Repository
	opts  Options
	stats Stats

	indexFiles []format.ID             // loaded; replaced by Execute
	snapshots  map[format.ID]struct{}  // seen; none may appear before deleting
	idx        *index.Index            // built from indexFiles
	used       usedSet                 // blobs the snapshots use
	packs      map[format.ID]*packInfo // every indexed pack
	listed     map[format.ID]int64     // packs in storage and their sizes

	repack []format.ID            // packs to repack, in selection order
	remove map[format.ID]struct{} // indexed packs to delete whole
	unref  map[format.ID]struct{} // packs in no index file, deleted
	forget map[format.ID]struct{} // missing packs dropped from the index

	// keep is every used blob that has no copy in a pack that stays: the
	// blobs repacking must copy. repackBlobs are the entries of the packs
	// to repack.
	keep        map[format.BlobHandle]struct{}
	repackBlobs map[format.ID][]format.IndexBlob

	ret retainedState // S3 Object Lock

	executed bool
}

// packInfo sums up one indexed pack.
type packInfo struct {
	typ          format.BlobType // format.InvalidBlob if data and trees are mixed
	header       uint64          // header and length field, from the entries
	usedBlobs    int
	unusedBlobs  int
	usedBytes    uint64
	unusedBytes  uint64
	uncompressed bool // holds a blob stored without compression
}

func (p *packInfo) size() uint64 { return p.header + p.usedBytes + p.unusedBytes }

// NewPlan reads the repository and decides what to delete and repack. It
// changes nothing. The caller holds an exclusive lock (see the package
// comment) until the plan is executed or dropped.
func NewPlan(ctx context.Context, r *repo.Repository, opts Options) (*Plan, error) {
	p := &Plan{r: r, opts: opts.withDefaults(), remove: map[format.ID]struct{}{},
		unref: map[format.ID]struct{}{}, forget: map[format.ID]struct{}{}}
	if err := p.loadIndex(ctx); err != nil {
		return nil, err
	}
	p.opts.Progress(StageSnapshots)
	sns, err := r.Snapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("load snapshots: %w", repo.RefuseDeleteIfDamaged(err))
	}
	p.snapshots = make(map[format.ID]struct{}, len(sns))
	for _, sn := range sns {
		p.snapshots[sn.ID] = struct{}{}
	}
	p.stats.Snapshots = len(sns)
	p.opts.Progress(StageFindUsed)
	if p.used, err = findUsed(ctx, r, p.idx, sns, p.opts.Workers); err != nil {
		return nil, err
	}
	p.opts.Progress(StageClassify)
	if p.listed, err = listPacks(ctx, r); err != nil {
		return nil, err
	}
	if err := p.classify(); err != nil {
		return nil, err
	}
	if err := p.decide(); err != nil {
		return nil, err
	}
	if err := p.keepRetained(ctx); err != nil {
		return nil, err
	}
	p.collectKeep()
	return p, nil
}

// Stats returns the numbers of the plan (restic prune's summary).
func (p *Plan) Stats() Stats { return p.stats }

// Retained returns what the plan keeps because it is under retention (S3
// Object Lock); empty without one.
func (p *Plan) Retained() backend.KeptFiles { return p.ret.kept }

// loadIndex lists and loads the index files itself, so that it knows
// exactly which files the index was built from.
func (p *Plan) loadIndex(ctx context.Context) error {
	p.opts.Progress(StageLoadIndex)
	ids, err := p.r.List(ctx, backend.IndexFile)
	if err != nil {
		return err
	}
	p.idx, err = index.Load(ctx, ids, p.r.Config().Version, p.recordPacks(func(ctx context.Context, id format.ID) ([]byte, error) {
		return p.r.LoadUnpacked(ctx, backend.IndexFile, id)
	}))
	if err != nil {
		return err
	}
	p.indexFiles = ids
	p.stats.IndexFiles = len(ids)
	return nil
}

func listPacks(ctx context.Context, r *repo.Repository) (map[format.ID]int64, error) {
	listed := map[format.ID]int64{}
	err := r.Backend().List(ctx, backend.PackFile, func(name string, size int64) error {
		if id, err := format.ParseID(name); err == nil {
			listed[id] = size
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	return listed, nil
}

// dupSaturate caps the per-blob copy count; a count that saturates only
// makes the choice of the copy to keep less clever.
const dupSaturate = 254

// classify counts the index entries of every used blob, refuses if one has
// none, and sums up every pack. Of a blob stored several times one copy
// counts as used (see chooseCopies).
func (p *Plan) classify() error {
	p.idx.EachPack(func(_ format.ID, blobs []format.IndexBlob) bool {
		for _, b := range blobs {
			h := format.BlobHandle{ID: b.ID, Type: b.Type}
			if n, ok := p.used[h]; ok && n < dupSaturate {
				p.used[h] = n + 1
			}
		}
		return true
	})
	if err := p.missingBlobs(); err != nil {
		return err
	}
	dups := map[format.BlobHandle]uint8{} // copies in storage not yet visited
	p.packs = make(map[format.ID]*packInfo, p.idx.PackCount())
	p.idx.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		info := &packInfo{typ: format.InvalidBlob, header: packHeaderSize(blobs)}
		if len(blobs) > 0 {
			info.typ = blobs[0].Type
		}
		p.packs[id] = info
		for _, b := range blobs {
			if b.Type != info.typ {
				info.typ = format.InvalidBlob
			}
			info.uncompressed = info.uncompressed || b.UncompressedLength == 0
			h := format.BlobHandle{ID: b.ID, Type: b.Type}
			switch n, isUsed := p.used[h]; {
			case !isUsed:
				info.unusedBlobs, info.unusedBytes = info.unusedBlobs+1, info.unusedBytes+uint64(b.Length)
				p.stats.Unused.add(b.Length)
			case n == 1:
				info.usedBlobs, info.usedBytes = info.usedBlobs+1, info.usedBytes+uint64(b.Length)
				p.stats.Used.add(b.Length)
			default: // decided below
				c := dups[h]
				if _, stored := p.listed[id]; stored && c < dupSaturate {
					c++
				}
				dups[h] = c
			}
		}
		return true
	})
	if len(dups) > 0 {
		p.chooseCopies(dups)
	}
	return nil
}

// chooseCopies marks one copy of each duplicate blob used: the first one
// met in a pack that has used blobs, or else the last one. Copies in packs
// missing from storage are chosen only if no other copy exists, which
// then stops prune (see missingPacks).
func (p *Plan) chooseCopies(dups map[format.BlobHandle]uint8) {
	const chosen = dupSaturate + 1
	p.idx.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		info := p.packs[id]
		_, stored := p.listed[id]
		for _, b := range blobs {
			h := format.BlobHandle{ID: b.ID, Type: b.Type}
			left, isDup := dups[h]
			if !isDup {
				continue
			}
			use := left != chosen && (stored && (info.usedBlobs > 0 || left == 1) || !stored && left == 0)
			if use {
				info.usedBlobs, info.usedBytes = info.usedBlobs+1, info.usedBytes+uint64(b.Length)
				p.stats.Used.add(b.Length)
				dups[h] = chosen
				continue
			}
			info.unusedBlobs, info.unusedBytes = info.unusedBlobs+1, info.unusedBytes+uint64(b.Length)
			p.stats.Duplicate.add(b.Length)
			if stored && left != chosen {
				dups[h] = left - 1
			}
		}
		return true
	})
}

// missingBlobs returns an error naming used blobs that no index has.
func (p *Plan) missingBlobs() error {
	var missing []string
	for h, n := range p.used {
		if n == 0 {
			missing = append(missing, h.String())
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	more := ""
	if len(missing) > 10 {
		more = fmt.Sprintf(" and %d more", len(missing)-10)
		missing = missing[:10]
	}
	return fmt.Errorf("%d blobs used by snapshots are not in the index (%s%s); %w",
		len(missing), strings.Join(missing, ", "), more, ErrMissingData)
}

// packHeaderSize is what a pack holds besides its blobs.
func packHeaderSize(blobs []format.IndexBlob) uint64 {
	compressed := 0
	for _, b := range blobs {
		if b.UncompressedLength != 0 {
			compressed++
		}
	}
	return uint64(pack.Overhead(len(blobs), compressed))
}

// collectKeep finds the blobs to copy out of the packs to repack: the used
// ones that no pack that stays holds a copy of.
func (p *Plan) collectKeep() {
	if len(p.repack) == 0 {
		return
	}
	p.keep = map[format.BlobHandle]struct{}{}
	p.repackBlobs = make(map[format.ID][]format.IndexBlob, len(p.repack))
	for _, id := range p.repack {
		p.repackBlobs[id] = nil
	}
	p.idx.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		if _, ok := p.repackBlobs[id]; !ok {
			return true
		}
		p.repackBlobs[id] = slices.Clone(blobs)
		for _, b := range blobs {
			if h := (format.BlobHandle{ID: b.ID, Type: b.Type}); p.isUsed(h) {
				p.keep[h] = struct{}{}
			}
		}
		return true
	})
	p.idx.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		if p.stays(id) {
			for _, b := range blobs {
				delete(p.keep, format.BlobHandle{ID: b.ID, Type: b.Type})
			}
		}
		return true
	})
}

func (p *Plan) isUsed(h format.BlobHandle) bool {
	_, ok := p.used[h]
	return ok
}

// stays reports whether an indexed pack is kept as it is.
func (p *Plan) stays(id format.ID) bool {
	if _, ok := p.remove[id]; ok {
		return false
	}
	if _, ok := p.forget[id]; ok {
		return false
	}
	_, repacked := p.repackBlobs[id]
	return !repacked
}
