package orchestrate

import (
	"context"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// repoSize sums the sizes of the repository's files (locks aside) and
// counts its snapshots.
func repoSize(ctx context.Context, r *repo.Repository) (size int64, snapshots int, err error) {
	for _, t := range []backend.FileType{backend.KeyFile, backend.PackFile, backend.IndexFile, backend.SnapshotFile} {
		err := r.Backend().List(ctx, t, func(_ string, n int64) error {
			size += n
			if t == backend.SnapshotFile {
				snapshots++
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	return size, snapshots, nil
}
