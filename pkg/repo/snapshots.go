package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ErrSnapshotNotFound is returned when no snapshot matches.
var ErrSnapshotNotFound = errors.New("no matching snapshot found")

// Snapshot is a snapshot document with the ID of the file it was read from.
type Snapshot struct {
	ID format.ID
	*format.Snapshot
}

// LoadSnapshot reads one snapshot file.
func (r *Repository) LoadSnapshot(ctx context.Context, id format.ID) (Snapshot, error) {
	doc, err := r.LoadUnpacked(ctx, backend.SnapshotFile, id)
	if err != nil {
		return Snapshot{}, err
	}
	sn, err := format.DecodeSnapshot(doc)
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %v: %w", id.Str(), err)
	}
	return Snapshot{ID: id, Snapshot: sn}, nil
}

// SaveSnapshot writes a snapshot file. Call it only after WithBlobSaver
// returned, so that everything it refers to is indexed.
func (r *Repository) SaveSnapshot(ctx context.Context, sn *format.Snapshot) (format.ID, error) {
	doc, err := format.EncodeSnapshot(sn)
	if err != nil {
		return format.ID{}, err
	}
	id, err := r.SaveUnpacked(ctx, backend.SnapshotFile, doc)
	if err != nil {
		return format.ID{}, err
	}
	return id, nil
}

// Snapshots loads every snapshot, in parallel, sorted oldest first.
func (r *Repository) Snapshots(ctx context.Context) ([]Snapshot, error) {
	ids, err := r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, id := range ids {
		g.Go(func() error {
			sn, err := r.LoadSnapshot(gctx, id)
			out[i] = sn
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Snapshot) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// FindSnapshot resolves "latest" or a unique ID prefix (as restic's CLI
// accepts) among snapshots.
func FindSnapshot(snapshots []Snapshot, ref string) (Snapshot, error) {
	if ref == "latest" {
		if len(snapshots) == 0 {
			return Snapshot{}, ErrSnapshotNotFound
		}
		return snapshots[len(snapshots)-1], nil
	}
	var found []Snapshot
	for _, sn := range snapshots {
		if strings.HasPrefix(sn.ID.String(), ref) {
			found = append(found, sn)
		}
	}
	switch {
	case len(found) == 0 || ref == "":
		return Snapshot{}, fmt.Errorf("%w: %q", ErrSnapshotNotFound, ref)
	case len(found) > 1:
		return Snapshot{}, fmt.Errorf("snapshot prefix %q is ambiguous (%d matches)", ref, len(found))
	}
	return found[0], nil
}

// FindParent returns the newest snapshot with the same host and the same set
// of paths that is not newer than notAfter: restic's rule for the parent of
// a backup (spec §11.2).
func FindParent(snapshots []Snapshot, host string, paths []string, notAfter time.Time) (Snapshot, bool) {
	want := slices.Clone(paths)
	slices.Sort(want)
	for i := len(snapshots) - 1; i >= 0; i-- {
		sn := snapshots[i]
		if sn.Hostname != host || sn.Time.After(notAfter) {
			continue
		}
		got := slices.Clone(sn.Paths)
		slices.Sort(got)
		if slices.Equal(got, want) {
			return sn, true
		}
	}
	return Snapshot{}, false
}
