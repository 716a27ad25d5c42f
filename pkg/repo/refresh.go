package repo

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// Errors from Refresh after which the Repository must be opened again.
var (
	ErrRepositoryReplaced = errors.New("repository config changed since it was opened")
	ErrKeyRemoved         = errors.New("the key file this repository was opened with was removed")
)

// idxState is what the loaded index was built from: the index files read
// and the packs the saver added since, which only become part of what a
// fresh open sees once an index file lists them.
type idxState struct {
	mu    sync.Mutex
	files map[format.ID]struct{}
	added map[format.ID]struct{}
}

func (s *idxState) reset(ids []format.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = make(map[format.ID]struct{}, len(ids))
	for _, id := range ids {
		s.files[id] = struct{}{}
	}
	s.added = nil
}

// noteAdded records a pack the saver put into the live index.
func (s *idxState) noteAdded(pack format.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.added == nil {
		s.added = map[format.ID]struct{}{}
	}
	s.added[pack] = struct{}{}
}

// noteWritten records index files the saver wrote for packs it had put
// into the live index: the index holds them already, Refresh need not read
// them again.
func (s *idxState) noteWritten(ids []format.ID, x *index.Index) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		return // never loaded: Refresh reads everything anyway
	}
	for _, id := range ids {
		s.files[id] = struct{}{}
	}
	x.EachPack(func(id format.ID, _ []format.IndexBlob) bool {
		delete(s.added, id)
		return true
	})
}

// RefreshStats says what a Refresh did.
type RefreshStats struct {
	FullReload   bool // the index was read again from scratch
	IndexFiles   int  // index files listed
	IndexLoaded  int  // index files read by this refresh
	IndexRemoved int  // loaded index files that are gone
}

// Refresh brings a Repository opened earlier up to date for a new job,
// without reading the key files again (no scrypt). Call it after taking
// the job's lock, like LoadIndex: afterwards the index is exactly the one a
// fresh Open plus LoadIndex would build.
//
// It reads the config again and fails with ErrRepositoryReplaced if it
// changed, and with ErrKeyRemoved if the key file is gone; the caller then
// opens the repository afresh. If only new index files appeared, only they
// are read. If any index file read before is gone (another host pruned),
// or a pack the saver added is listed by no index file (a failed run: the
// pack is unreferenced and a prune may delete it), the whole index is read
// again: deduplicating against a pack that a prune deleted would lose data.
// It must not run while a BlobSaver of r is saving.
func (r *Repository) Refresh(ctx context.Context) (RefreshStats, error) {
	if err := r.checkConfig(ctx); err != nil {
		return RefreshStats{}, err
	}
	if !r.keyID.IsNull() {
		if _, err := r.be.Stat(ctx, backend.Handle{Type: backend.KeyFile, Name: r.keyID.String()}); errors.Is(err, backend.ErrNotExist) {
			return RefreshStats{}, ErrKeyRemoved
		} else if err != nil {
			return RefreshStats{}, fmt.Errorf("stat key: %w", err)
		}
	}
	ids, err := r.List(ctx, backend.IndexFile)
	if err != nil {
		return RefreshStats{}, err
	}
	st := RefreshStats{IndexFiles: len(ids)}
	r.idxs.mu.Lock()
	listed := make(map[format.ID]struct{}, len(ids))
	var fresh []format.ID
	for _, id := range ids {
		listed[id] = struct{}{}
		if _, ok := r.idxs.files[id]; !ok {
			fresh = append(fresh, id)
		}
	}
	for id := range r.idxs.files {
		if _, ok := listed[id]; !ok {
			st.IndexRemoved++
		}
	}
	added := make(map[format.ID]struct{}, len(r.idxs.added))
	for p := range r.idxs.added {
		added[p] = struct{}{}
	}
	never := r.idxs.files == nil
	r.idxs.mu.Unlock()

	full := func() (RefreshStats, error) {
		st.FullReload, st.IndexLoaded = true, len(ids)
		return st, r.loadIndexFiles(ctx, ids)
	}
	if never || st.IndexRemoved > 0 {
		return full()
	}
	files, err := r.loadIndexDocs(ctx, fresh)
	if err != nil {
		return RefreshStats{}, err
	}
	for _, f := range files {
		for _, p := range f.Packs {
			delete(added, p.ID)
		}
	}
	if len(added) > 0 {
		r.opts.Logger.Info("packs without an index file; reading the whole index", "packs", len(added))
		return full()
	}
	idx := r.Index()
	for i, f := range files {
		if err := idx.AddIndexFile(f); err != nil {
			return RefreshStats{}, fmt.Errorf("index %v: %w", fresh[i].Str(), err)
		}
	}
	idx.Compact()
	r.idxs.reset(ids)
	r.tellPackCache(idx)
	st.IndexLoaded = len(fresh)
	return st, nil
}

// checkConfig reads the config again and compares it with the one read
// at Open.
func (r *Repository) checkConfig(ctx context.Context) error {
	sealed, err := r.loadRaw(ctx, backend.Handle{Type: backend.ConfigFile})
	if errors.Is(err, backend.ErrNotExist) || errors.Is(err, backend.ErrLocationMissing) {
		return fmt.Errorf("%w: no config file", ErrNoRepository)
	}
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	plain, err := r.key.OpenBox(nil, sealed)
	if err != nil {
		return fmt.Errorf("%w: the config no longer opens with the key: %w", ErrRepositoryReplaced, err)
	}
	cfg, err := format.DecodeConfig(plain)
	if err != nil {
		return err
	}
	if *cfg != r.cfg {
		return fmt.Errorf("%w: id %s, was %s", ErrRepositoryReplaced, shortName(cfg.ID), shortName(r.cfg.ID))
	}
	return nil
}

// loadIndexDocs reads and decodes the index files ids, in order.
func (r *Repository) loadIndexDocs(ctx context.Context, ids []format.ID) ([]*format.Index, error) {
	out := make([]*format.Index, len(ids))
	for i, id := range ids {
		doc, err := r.LoadUnpacked(ctx, backend.IndexFile, id)
		if err != nil {
			return nil, fmt.Errorf("load index %v: %w", id.Str(), err)
		}
		if out[i], err = format.DecodeIndex(doc, r.cfg.Version); err != nil {
			return nil, fmt.Errorf("index %v: %w", id.Str(), err)
		}
	}
	return out, nil
}

// loadIndexFiles builds a new index from ids and makes it current.
func (r *Repository) loadIndexFiles(ctx context.Context, ids []format.ID) error {
	idx, err := index.Load(ctx, ids, r.cfg.Version, func(ctx context.Context, id format.ID) ([]byte, error) {
		return r.LoadUnpacked(ctx, backend.IndexFile, id)
	})
	if err != nil {
		return err
	}
	r.idxs.reset(ids)
	r.idx.Store(idx)
	r.tellPackCache(idx)
	return nil
}
