package mount

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// snapshotSet is the layout of the snapshots the filter selects, read
// again when asked for after the refresh interval has passed.
type snapshotSet struct {
	r        *repo.Repository
	filter   retention.Filter
	every    time.Duration
	paths    []string
	timeTmpl string
	log      *slog.Logger

	mu      sync.Mutex
	checked time.Time                   // when the snapshot files were last listed
	listed  [sha256.Size]byte           // hash of the IDs listed then
	known   map[format.ID]repo.Snapshot // the snapshots read so far, by ID
	l       layout
}

// current returns the layout, first listing the snapshot files again if
// the last listing is older than the refresh interval. Snapshot files
// never change, so only new ones are read. When the list changed, the
// index is brought up to date before the new layout is used, so that
// the new snapshots' blobs are found.
func (s *snapshotSet) current(ctx context.Context) (layout, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.l != nil && time.Since(s.checked) < s.every {
		return s.l, nil
	}
	ids, err := s.r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	slices.SortFunc(ids, func(a, b format.ID) int { return slices.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, id := range ids {
		h.Write(id[:])
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if s.l != nil && sum == s.listed {
		s.checked = time.Now()
		return s.l, nil
	}
	sns, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	if s.l != nil { // the first time, the caller loaded the index just now
		if _, err := s.r.Refresh(ctx); err != nil {
			return nil, fmt.Errorf("read the index again for new snapshots: %w", err)
		}
	}
	s.l, s.listed, s.checked = buildLayout(s.filter.Select(sns), s.paths, s.timeTmpl), sum, time.Now()
	return s.l, nil
}

// read returns the snapshots of ids, oldest first, reading only those
// not read before: all of them in parallel the first time. A snapshot
// file that cannot be read is left out with a warning.
func (s *snapshotSet) read(ctx context.Context, ids []format.ID) ([]repo.Snapshot, error) {
	if s.known == nil {
		all, err := s.r.Snapshots(ctx)
		var dmg *repo.DamagedSnapshotsError
		if err != nil && !errors.As(err, &dmg) { // the damaged ones are tried and named below
			return nil, fmt.Errorf("read snapshots: %w", err)
		}
		s.known = map[format.ID]repo.Snapshot{}
		for _, sn := range all {
			s.known[sn.ID] = sn
		}
	}
	known := make(map[format.ID]repo.Snapshot, len(ids))
	out := make([]repo.Snapshot, 0, len(ids))
	for _, id := range ids {
		sn, ok := s.known[id]
		if !ok {
			var err error
			if sn, err = s.r.LoadSnapshot(ctx, id); err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				s.log.Warn("snapshot left out of the mount", "snapshot", id.Str(), "error", err)
				continue
			}
		}
		known[id] = sn
		out = append(out, sn)
	}
	s.known = known // forgotten snapshots are forgotten here too
	repo.SortSnapshots(out)
	return out, nil
}
