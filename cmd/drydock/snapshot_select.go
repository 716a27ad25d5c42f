package main

import (
	"context"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// selectSnapshots loads the index and returns the snapshots refs name
// ("latest", IDs or unique prefixes, resolved among those f keeps), or
// every snapshot f keeps if refs is empty; oldest first.
func selectSnapshots(ctx context.Context, r *repo.Repository, refs []string, f retention.Filter) ([]repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	all, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	kept := f.Select(all)
	if len(refs) == 0 {
		return kept, nil
	}
	out := make([]repo.Snapshot, 0, len(refs))
	for _, ref := range refs {
		sn, err := repo.FindSnapshot(kept, ref)
		if err != nil && !f.Empty() {
			return nil, fmt.Errorf("%w (among snapshots with %s)", err, f)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	return out, nil
}
