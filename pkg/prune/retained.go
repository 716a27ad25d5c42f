package prune

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// Under S3 Object Lock a prune never asks storage to delete a file that
// is still retained: such packs stay, indexed with all their blobs, and
// such index files stay, and with them every pack they name, so that no
// index file ever points at a deleted pack. What stays is reported in
// Result.Retained.
//
// It also keeps what the snapshots need retained: packs holding used
// blobs, keys and config get their retention extended when less than half
// of the policy's duration is left (backend.ObjectLock.Due). Index files
// are not extended but written anew when one is due, since an old index
// file extended would keep alive every pack it names, also those its
// successors no longer list.

// retainedState is what a plan knows about retention; zero without an
// object lock.
type retainedState struct {
	retainer backend.Retainer
	kept     backend.KeptFiles
	// index are the index files that stay because they are retained.
	index map[format.ID]struct{}
	// rewriteIndex: an index file is due, so the index is written anew.
	rewriteIndex bool
}

// keepRetained takes out of the plan every delete storage would refuse.
func (p *Plan) keepRetained(ctx context.Context) error {
	ret, ok := backend.AsRetainer(p.r.Backend())
	if !ok {
		return nil
	}
	p.ret = retainedState{retainer: ret, kept: backend.KeptFiles{}, index: map[format.ID]struct{}{}}
	now := time.Now()
	pinned, err := p.retainedIndex(ctx, now)
	if err != nil {
		return err
	}
	var planned []format.ID
	for _, set := range []map[format.ID]struct{}{p.remove, p.unref} {
		planned = append(planned, sortedIDs(set)...)
	}
	planned = append(planned, p.repack...)
	var ask []backend.Handle
	for _, id := range planned {
		if until, ok := pinned[id]; ok {
			p.keepPack(id, backend.Retention{Until: until})
			continue
		}
		ask = append(ask, backend.Handle{Type: backend.PackFile, Name: id.String()})
	}
	retained, err := backend.Retained(ctx, ret, ask, now)
	if err != nil {
		return fmt.Errorf("ask which packs are under retention (nothing was changed): %w", err)
	}
	for h, rt := range retained {
		id, _ := format.ParseID(h.Name)
		p.keepPack(id, rt)
	}
	return nil
}

// retainedIndex finds the index files still retained, which stay, and
// returns the packs they name, with the end of the retention that pins
// them. It also decides whether the index is due to be written anew.
func (p *Plan) retainedIndex(ctx context.Context, now time.Time) (map[format.ID]time.Time, error) {
	pol := p.ret.retainer.ObjectLock()
	pinned := map[format.ID]time.Time{}
	var mu sync.Mutex
	err := eachIndexFile(ctx, p.indexFiles, func(ctx context.Context, id format.ID) error {
		h := backend.Handle{Type: backend.IndexFile, Name: id.String()}
		rt, err := p.ret.retainer.Retention(ctx, h)
		if err != nil {
			return err
		}
		var packs []format.ID
		if rt.Active(now) {
			if packs, err = p.packsOf(ctx, id); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if pol.Due(rt.Until, now) {
			p.ret.rewriteIndex = true
		}
		if !rt.Active(now) {
			return nil
		}
		p.ret.index[id] = struct{}{}
		p.ret.kept.Add(backend.IndexFile, rt)
		for _, pid := range packs {
			if rt.Until.After(pinned[pid]) {
				pinned[pid] = rt.Until
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ask which index files are under retention (nothing was changed): %w", err)
	}
	return pinned, nil
}

func eachIndexFile(ctx context.Context, ids []format.ID, fn func(context.Context, format.ID) error) error {
	hs := make([]backend.Handle, len(ids))
	for i, id := range ids {
		hs[i] = backend.Handle{Type: backend.IndexFile, Name: id.String()}
	}
	return backend.EachHandle(ctx, hs, func(ctx context.Context, h backend.Handle) error {
		id, err := format.ParseID(h.Name)
		if err != nil {
			return err
		}
		return fn(ctx, id)
	})
}

// packsOf returns the packs one index file names.
func (p *Plan) packsOf(ctx context.Context, id format.ID) ([]format.ID, error) {
	idx, err := index.Load(ctx, []format.ID{id}, p.r.Config().Version, func(ctx context.Context, id format.ID) ([]byte, error) {
		return p.r.LoadUnpacked(ctx, backend.IndexFile, id)
	})
	if err != nil {
		return nil, fmt.Errorf("load retained index file %v: %w", id.Str(), err)
	}
	var packs []format.ID
	idx.EachPack(func(pid format.ID, _ []format.IndexBlob) bool {
		packs = append(packs, pid)
		return true
	})
	return packs, nil
}

// keepPack takes pack id out of what the plan deletes or repacks: it
// stays as it is, all its blobs indexed.
func (p *Plan) keepPack(id format.ID, rt backend.Retention) {
	p.ret.kept.Add(backend.PackFile, rt)
	info := p.packs[id]
	if _, ok := p.unref[id]; ok {
		delete(p.unref, id)
		p.stats.Unreferenced.Packs--
		p.stats.Unreferenced.Bytes -= uint64(p.listed[id])
		return
	}
	p.stats.Packs.Keep++
	if _, ok := p.remove[id]; ok {
		delete(p.remove, id)
		p.stats.Packs.Remove--
		p.stats.Remove.Blobs -= info.unusedBlobs
		p.stats.Remove.Bytes -= info.unusedBytes
		return
	}
	if i := slices.Index(p.repack, id); i >= 0 {
		p.repack = slices.Delete(p.repack, i, i+1)
		p.stats.Packs.Repack--
		p.stats.Repack.Blobs -= info.usedBlobs + info.unusedBlobs
		p.stats.Repack.Bytes -= uint64(p.listed[id])
		p.stats.RepackRemove.Blobs -= info.unusedBlobs
		p.stats.RepackRemove.Bytes -= info.unusedBytes
	}
}

// indexToDelete are the old index files that go once the new index is
// written: all but the retained ones.
func (p *Plan) indexToDelete() []format.ID {
	return slices.DeleteFunc(slices.Clone(p.indexFiles), func(id format.ID) bool {
		_, kept := p.ret.index[id]
		return kept
	})
}

// extendRetention extends, where due, the retention of every pack that
// holds used blobs and stays, of the keys and of the config.
func (p *Plan) extendRetention(ctx context.Context) (backend.Extension, error) {
	if p.ret.retainer == nil {
		return backend.Extension{}, nil
	}
	hs := []backend.Handle{{Type: backend.ConfigFile}}
	keys, err := p.r.List(ctx, backend.KeyFile)
	if err != nil {
		return backend.Extension{}, fmt.Errorf("extend retention: %w", err)
	}
	for _, id := range keys {
		hs = append(hs, backend.Handle{Type: backend.KeyFile, Name: id.String()})
	}
	for _, id := range sortedIDs(p.packs) {
		if _, stored := p.listed[id]; stored && p.packs[id].usedBlobs > 0 && p.stays(id) {
			hs = append(hs, backend.Handle{Type: backend.PackFile, Name: id.String()})
		}
	}
	ext, err := backend.ExtendRetention(ctx, p.ret.retainer, hs, time.Now())
	if err != nil {
		return ext, fmt.Errorf("extend retention: %w", err)
	}
	return ext, nil
}
