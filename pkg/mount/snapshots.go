package mount

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
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
	checked time.Time         // when the snapshots were last listed
	ids     [sha256.Size]byte // hash of the IDs the layout was built from
	l       layout
}

// current returns the layout, first reading the snapshots again if the
// last read is older than the refresh interval. When they changed, the
// index is brought up to date before the new layout is used, so that
// the new snapshots' blobs are found.
func (s *snapshotSet) current(ctx context.Context) (layout, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.l != nil && time.Since(s.checked) < s.every {
		return s.l, nil
	}
	sns, err := s.r.Snapshots(ctx)
	var dmg *repo.DamagedSnapshotsError
	if errors.As(err, &dmg) {
		s.log.Warn("snapshots left out of the mount", "error", err)
	} else if err != nil {
		return nil, fmt.Errorf("read snapshots: %w", err)
	}
	sns = s.filter.Select(sns)
	h := sha256.New()
	for _, sn := range sns {
		h.Write(sn.ID[:])
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if s.l != nil && sum == s.ids {
		s.checked = time.Now()
		return s.l, nil
	}
	if s.l != nil { // the first time, the caller loaded the index just now
		if _, err := s.r.Refresh(ctx); err != nil {
			return nil, fmt.Errorf("read the index again for new snapshots: %w", err)
		}
	}
	s.l, s.ids, s.checked = buildLayout(sns, s.paths, s.timeTmpl), sum, time.Now()
	return s.l, nil
}
