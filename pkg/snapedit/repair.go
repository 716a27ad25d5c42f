package snapedit

import (
	"context"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// RepairTag marks a repaired snapshot kept beside its original.
const RepairTag = "repaired"

// RepairOptions say what becomes of the originals.
type RepairOptions struct {
	// Forget removes each original once its repair is stored; otherwise
	// both stay and the repair is tagged RepairTag.
	Forget bool
	// DryRun finds what is damaged, and writes nothing.
	DryRun bool
}

// Repair writes anew each of sns that refers to data the index does not
// have, without it, as restic's repair snapshots does: a directory whose
// tree cannot be read becomes empty, and a file loses the chunks that are
// missing (its size is what is left). Everything else stays as it was.
// The index must be right first (repair index). The caller holds a lock
// (exclusive with Forget).
func Repair(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, opts RepairOptions) ([]Rewritten, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	tag := RepairTag
	if opts.Forget {
		tag = ""
	}
	e := editor{node: func(p string, n *format.Node) (*format.Node, string) { return repairFile(r, p, n) },
		broken: func(string, error) bool { return true }}
	return edit(ctx, r, sns, e, opts.DryRun, tag)
}

// repairFile returns a file node without the chunks the index lacks.
func repairFile(r *repo.Repository, p string, n *format.Node) (*format.Node, string) {
	if n.Type != format.NodeFile {
		return n, ""
	}
	var kept format.IDs
	var size uint64
	for _, id := range n.Content {
		loc, ok := r.Index().Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			continue
		}
		kept = append(kept, id)
		size += uint64(loc.PlainLength())
	}
	if len(kept) == len(n.Content) {
		return n, ""
	}
	c := *n
	c.Content, c.Size = kept, size
	if c.Content == nil {
		c.Content = format.IDs{} // restic's encoding: an empty list, never null
	}
	return &c, fmt.Sprintf("%s: %d of %d chunks missing, %d bytes kept", p, len(n.Content)-len(kept), len(n.Content), size)
}
