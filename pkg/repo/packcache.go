package repo

import (
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// tellPackCache names the packs of idx that hold trees to a local cache in
// front of the backend, if there is one: walking snapshots reads those
// packs and no others, and a pack the index no longer lists is gone.
func (r *Repository) tellPackCache(idx *index.Index) {
	pc, ok := backend.AsPackCache(r.be)
	if !ok {
		return
	}
	packs := idx.TreePacks()
	names := make(map[string]struct{}, len(packs))
	for _, id := range packs {
		names[id.String()] = struct{}{}
	}
	pc.CachePacks(names)
}
