package main

import (
	"context"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// loadSnapshot loads the index and resolves ref ("latest", an ID or a
// unique prefix) to a snapshot, for the commands that read one.
func loadSnapshot(ctx context.Context, r *repo.Repository, ref string) (repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return repo.Snapshot{}, err
	}
	sns, err := r.Snapshots(ctx)
	if err != nil {
		return repo.Snapshot{}, err
	}
	return repo.FindSnapshot(sns, ref)
}
