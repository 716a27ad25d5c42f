package index

import "github.com/drydock-backup/drydock/pkg/repo/format"

// TreePacks returns the packs that hold at least one tree blob: those a
// local cache keeps (a walk of the snapshots reads nothing else).
func (x *Index) TreePacks() []format.ID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	has := make([]bool, x.packs.n)
	x.eachRecord(func(_ *format.ID, e entry) {
		if e.isTree() {
			has[e.pack&^treeFlag] = true
		}
	})
	var out []format.ID
	for n, ok := range has {
		if ok {
			out = append(out, x.packID(uint32(n)))
		}
	}
	return out
}
