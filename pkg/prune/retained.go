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
// are not extended, since an old index file extended would keep alive
// every pack it names, also those its successors no longer list: the
// index is written anew when a due index file names a pack that no index
// file which is not due names, and an expired one that only repeats those
// is deleted, so that a superseded file does not make every prune write
// the index again.

// retainedState is what a plan knows about retention; zero without an
// object lock.
type retainedState struct {
	retainer backend.Retainer
	kept     backend.KeptFiles
	// index are the index files that stay because they are retained.
	index map[format.ID]struct{}
	// packsOf are the packs each index file names, recorded as it loads.
	packsOf map[format.ID][]format.ID
	// rewriteIndex: an index file is due, and it names a pack no other
	// index file that is not due names, so the index is written anew.
	rewriteIndex bool
	// obsolete are index files whose retention has run out and whose
	// packs index files that are not due all name: deleted without
	// writing the index anew.
	obsolete []format.ID
}

// recordPacks wraps the index loader to note the packs of each file, under
// an object lock.
func (p *Plan) recordPacks(load index.LoadFunc) index.LoadFunc {
	ret, ok := backend.AsRetainer(p.r.Backend())
	if !ok {
		return load
	}
	p.ret = retainedState{retainer: ret, kept: backend.KeptFiles{}, index: map[format.ID]struct{}{}, packsOf: map[format.ID][]format.ID{}}
	var mu sync.Mutex
	return func(ctx context.Context, id format.ID) ([]byte, error) {
		data, err := load(ctx, id)
		if err != nil {
			return nil, err
		}
		f, err := format.DecodeIndex(data, p.r.Config().Version)
		if err != nil {
			return data, nil // index.Load reports it
		}
		packs := make([]format.ID, len(f.Packs))
		for i, pk := range f.Packs {
			packs[i] = pk.ID
		}
		mu.Lock()
		p.ret.packsOf[id] = packs
		mu.Unlock()
		return data, nil
	}
}

// keepRetained takes out of the plan every delete storage would refuse.
func (p *Plan) keepRetained(ctx context.Context) error {
	ret := p.ret.retainer
	if ret == nil {
		return nil
	}
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
	rets := make(map[format.ID]backend.Retention, len(p.indexFiles))
	var mu sync.Mutex
	err := eachIndexFile(ctx, p.indexFiles, func(ctx context.Context, id format.ID) error {
		rt, err := p.ret.retainer.Retention(ctx, backend.Handle{Type: backend.IndexFile, Name: id.String()})
		mu.Lock()
		rets[id] = rt
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ask which index files are under retention (nothing was changed): %w", err)
	}
	pinned := map[format.ID]time.Time{}
	fresh := map[format.ID]struct{}{} // packs named by index files not due
	for id, rt := range rets {
		if !pol.Due(rt.Until, now) {
			for _, pid := range p.ret.packsOf[id] {
				fresh[pid] = struct{}{}
			}
		}
		if !rt.Active(now) {
			continue
		}
		p.ret.index[id] = struct{}{}
		p.ret.kept.Add(backend.IndexFile, rt)
		for _, pid := range p.ret.packsOf[id] {
			if rt.Until.After(pinned[pid]) {
				pinned[pid] = rt.Until
			}
		}
	}
	for _, id := range p.indexFiles {
		rt := rets[id]
		if !pol.Due(rt.Until, now) {
			continue
		}
		covered := !slices.ContainsFunc(p.ret.packsOf[id], func(pid format.ID) bool { _, ok := fresh[pid]; return !ok })
		switch {
		case !covered:
			p.ret.rewriteIndex = true
		case !rt.Active(now):
			p.ret.obsolete = append(p.ret.obsolete, id)
		}
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
