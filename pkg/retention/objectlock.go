package retention

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Retained is what S3 Object Lock changed in a forget.
type Retained struct {
	// IDs are the snapshots the policy removes that stay because their
	// files are under retention, sorted; a later forget removes them
	// once it has run out, and until then prune counts them as live.
	IDs []format.ID
	// Files sums them up for people.
	Files backend.KeptFiles
	// Extension is the retention given to snapshots the policy keeps.
	Extension backend.Extension
}

// Lines describe r for people, one line per kind.
func (r Retained) Lines() []string { return slices.Concat(r.Files.Lines(), r.Extension.Lines()) }

// RemoveUnlessRetained removes the snapshot files ids, except those still
// under retention, which it returns in kept without trying to delete
// them. Without an object lock it is RemoveSnapshots.
func RemoveUnlessRetained(ctx context.Context, r *repo.Repository, ids []format.ID) (removed []format.ID, kept Retained, err error) {
	remove, kept, err := splitRetained(ctx, r, ids)
	if err != nil {
		return nil, kept, err
	}
	removed, err = RemoveSnapshots(ctx, r, remove)
	return removed, kept, err
}

// splitRetained splits ids into those that may be removed and those
// still under retention.
func splitRetained(ctx context.Context, r *repo.Repository, ids []format.ID) (remove []format.ID, kept Retained, err error) {
	ret, ok := backend.AsRetainer(r.Backend())
	if !ok || len(ids) == 0 {
		return ids, kept, nil
	}
	retained, err := backend.Retained(ctx, ret, snapshotHandles(ids), time.Now())
	if err != nil {
		return nil, kept, fmt.Errorf("forget: ask which snapshots are under retention (nothing was removed): %w", err)
	}
	kept.Files = backend.KeptFiles{}
	for _, id := range ids {
		h := backend.Handle{Type: backend.SnapshotFile, Name: id.String()}
		if rt, ok := retained[h]; ok {
			kept.IDs = append(kept.IDs, id)
			kept.Files.Add(h.Type, rt)
			continue
		}
		remove = append(remove, id)
	}
	kept.IDs = sortIDs(kept.IDs)
	return remove, kept, nil
}

// extendKept extends the retention of the snapshots the policy keeps
// that is due (backend.ObjectLock.Due), so that the history a policy
// keeps stays protected. Snapshots it removes, or could not remove, are
// left to run out.
func extendKept(ctx context.Context, r *repo.Repository, ids []format.ID) (backend.Extension, error) {
	ret, ok := backend.AsRetainer(r.Backend())
	if !ok || len(ids) == 0 {
		return backend.Extension{}, nil
	}
	ext, err := backend.ExtendRetention(ctx, ret, snapshotHandles(ids), time.Now())
	if err != nil {
		return ext, fmt.Errorf("forget: extend the retention of kept snapshots: %w", err)
	}
	return ext, nil
}

func snapshotHandles(ids []format.ID) []backend.Handle {
	hs := make([]backend.Handle, len(ids))
	for i, id := range ids {
		hs[i] = backend.Handle{Type: backend.SnapshotFile, Name: id.String()}
	}
	return hs
}
