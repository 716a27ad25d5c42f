package prune

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// ErrConcurrentChange is returned when snapshots or index files appeared
// while prune ran: someone writes despite the exclusive lock, and prune
// stops before deleting anything more.
var ErrConcurrentChange = errors.New("the repository changed while prune ran, although prune holds an exclusive lock")

// Result is what Execute did.
type Result struct {
	PacksWritten      int    `json:"packs_written"`
	BytesWritten      uint64 `json:"bytes_written"`
	BlobsRepacked     int    `json:"blobs_repacked"`
	IndexFilesWritten int    `json:"index_files_written"`
	IndexFilesDeleted int    `json:"index_files_deleted"`
	PacksDeleted      int    `json:"packs_deleted"`
	BytesDeleted      uint64 `json:"bytes_deleted"`

	// Retained is what stayed because it is under retention, Extension
	// the retention extended (S3 Object Lock).
	Retained  backend.KeptFiles  `json:"retained,omitempty"`
	Extension *backend.Extension `json:"retention_extended,omitempty"`
}

// Empty reports whether the plan changes nothing (retentions aside).
func (p *Plan) Empty() bool {
	return len(p.repack)+len(p.remove)+len(p.unref)+len(p.forget)+len(p.ret.obsolete) == 0 && !p.ret.rewriteIndex
}

// Execute carries the plan out in the crash-safe order of the package
// comment, under l, the exclusive lock the caller holds: it checks that l
// is still intact before deleting anything. ctx should be l's context, so
// that a lost lock stops prune. A plan can be executed once. Afterwards, and after an error
// too, the repository's in-memory index is reloaded; if that fails, the
// caller must call LoadIndex before using it again.
func (p *Plan) Execute(ctx context.Context, l *repo.Lock) (Result, error) {
	if p.executed {
		return Result{}, errors.New("prune plan was executed already")
	}
	p.executed = true
	res := Result{Retained: p.ret.kept}
	if !p.Empty() {
		err := p.execute(ctx, l, &res)
		if lerr := p.r.LoadIndex(ctx); lerr != nil {
			err = errors.Join(err, fmt.Errorf("reload the index after pruning: %w", lerr))
		}
		if err != nil {
			return res, err
		}
	}
	if p.ret.retainer == nil {
		return res, nil
	}
	ext, err := p.extendRetention(ctx)
	res.Extension = &ext
	return res, err
}

func (p *Plan) execute(ctx context.Context, l *repo.Lock, res *Result) error {
	var added *index.Index
	if len(p.repack) > 0 {
		p.opts.Progress(StageRepack)
		var err error
		if added, err = p.repackAll(ctx, res); err != nil {
			return err
		}
	}
	var written []format.ID
	if len(p.repack)+len(p.remove)+len(p.forget) > 0 || p.ret.rewriteIndex {
		p.opts.Progress(StageWriteIndex)
		var err error
		if written, err = p.writeIndex(ctx, added); err != nil {
			return err
		}
		res.IndexFilesWritten = len(written)
		if err := p.checkUnchanged(ctx, l, written); err != nil {
			return err
		}
		p.opts.Progress(StageDeleteIndex)
		old := p.indexToDelete()
		if err := p.deleteFiles(ctx, backend.IndexFile, old); err != nil {
			return fmt.Errorf("delete old index files (no pack was deleted): %w", err)
		}
		res.IndexFilesDeleted = len(old)
	} else if len(p.ret.obsolete) > 0 {
		// Other index files name all their packs: nothing to write.
		if err := p.deleteFiles(ctx, backend.IndexFile, p.ret.obsolete); err != nil {
			return fmt.Errorf("delete index files whose packs other index files name: %w", err)
		}
		res.IndexFilesDeleted = len(p.ret.obsolete)
	}
	if err := p.checkUnchanged(ctx, l, written); err != nil {
		return err
	}
	p.opts.Progress(StageDeletePacks)
	packs := p.packsToDelete()
	if err := p.deleteFiles(ctx, backend.PackFile, packs); err != nil {
		return fmt.Errorf("delete packs (the index no longer refers to them; a later prune removes what is left): %w", err)
	}
	res.PacksDeleted = len(packs)
	for _, id := range packs {
		res.BytesDeleted += uint64(p.listed[id])
	}
	return nil
}

// writeIndex stores index files describing every pack that stays and the
// new packs, after checking that they hold every used blob.
func (p *Plan) writeIndex(ctx context.Context, added *index.Index) ([]format.ID, error) {
	final := index.New()
	var err error
	add := func(id format.ID, blobs []format.IndexBlob) bool {
		err = final.AddPack(id, blobs)
		return err == nil
	}
	p.idx.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		return !p.stays(id) || add(id, blobs)
	})
	if err == nil && added != nil {
		added.EachPack(add)
	}
	if err != nil {
		return nil, fmt.Errorf("build the new index: %w", err)
	}
	if err := p.verifyComplete(final); err != nil {
		return nil, err
	}
	docs, err := final.EncodeJSON(format.MaxIndexBlobs)
	if err != nil {
		return nil, err
	}
	var written []format.ID
	for _, doc := range docs {
		id, err := p.r.SaveUnpacked(ctx, backend.IndexFile, doc)
		if err != nil {
			return written, fmt.Errorf("write the new index (old index files are kept): %w", err)
		}
		written = append(written, id)
	}
	return written, nil
}

// verifyComplete is the last line of defence: every blob a snapshot uses
// must be in the index that replaces the old one.
func (p *Plan) verifyComplete(final *index.Index) error {
	var missing []string
	for h := range p.used {
		if !final.Has(h) {
			missing = append(missing, h.String())
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("internal error: the new index would lack %d used blobs (%s); prune stopped before deleting anything",
		len(missing), strings.Join(missing[:min(len(missing), 10)], ", "))
}

// checkUnchanged lists snapshots and index files again: a new snapshot or
// a foreign index file means another process writes, and its data may sit
// in packs this plan deletes.
func (p *Plan) checkUnchanged(ctx context.Context, l *repo.Lock, written []format.ID) error {
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before deleting: %w", context.Cause(ctx))
	}
	if l == nil {
		return fmt.Errorf("stopped before deleting: %w: prune holds no exclusive lock", repo.ErrLockGone)
	}
	if err := l.CheckExclusive(ctx); err != nil {
		return fmt.Errorf("stopped before deleting: %w", err)
	}
	sns, err := p.r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return err
	}
	for _, id := range sns {
		if _, ok := p.snapshots[id]; !ok {
			return fmt.Errorf("snapshot %v appeared: %w", id.Str(), ErrConcurrentChange)
		}
	}
	idx, err := p.r.List(ctx, backend.IndexFile)
	if err != nil {
		return err
	}
	known := make(map[format.ID]bool, len(p.indexFiles)+len(written))
	for _, id := range slices.Concat(p.indexFiles, written) {
		known[id] = true
	}
	for _, id := range idx {
		if !known[id] {
			return fmt.Errorf("index file %v appeared: %w", id.Str(), ErrConcurrentChange)
		}
	}
	return nil
}

// packsToDelete returns the packs the plan removes, sorted.
func (p *Plan) packsToDelete() []format.ID {
	ids := make([]format.ID, 0, len(p.remove)+len(p.repack)+len(p.unref))
	ids = append(ids, sortedIDs(p.remove)...)
	ids = append(ids, p.repack...)
	ids = append(ids, sortedIDs(p.unref)...)
	return ids
}

// deleteFiles removes files in parallel and stops at the first error.
func (p *Plan) deleteFiles(ctx context.Context, t backend.FileType, ids []format.ID) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Downloads)
	for _, id := range ids {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			h := backend.Handle{Type: t, Name: id.String()}
			if err := p.r.Backend().Remove(gctx, h); err != nil {
				return fmt.Errorf("remove %v: %w", h, backend.RefusedDelete(t, err))
			}
			return nil
		})
	}
	return g.Wait()
}
