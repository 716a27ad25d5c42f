package console

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// snapshotCache keeps the snapshots read so far. A snapshot file never
// changes (its name is its content's hash), so each request only lists the
// snapshot files and reads those it has not seen: a page of a snapshot
// with a thousand beside it costs one listing, not a thousand reads. A
// file no longer listed (forgotten) is dropped; a damaged one is not kept
// and is tried again next time.
type snapshotCache struct {
	mu   sync.Mutex
	byID map[format.ID]repo.Snapshot
	// sorted is byID in repo.Snapshots' order, nil when byID changed: a
	// page of 10,000 snapshots is not sorted again while none came or went.
	sorted []repo.Snapshot
	// listed is when the snapshot files were last listed, and count how
	// many could be read then: the overview shows them without a listing.
	listed time.Time
	count  int
}

// counted returns how many snapshots the last listing found readable,
// and when it ran (zero: none yet).
func (c *snapshotCache) counted() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count, c.listed
}

// cached returns the snapshot id if it was read before. A snapshot file
// never changes, so a full ID needs no listing; one forgotten since shows
// until the next listing drops it.
func (c *snapshotCache) cached(id format.ID) (repo.Snapshot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sn, ok := c.byID[id]
	return sn, ok
}

// put keeps sn, read by its full ID without a listing.
func (c *snapshotCache) put(sn repo.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[format.ID]repo.Snapshot{}
	}
	if _, ok := c.byID[sn.ID]; !ok {
		c.byID[sn.ID] = sn
		c.sorted = nil
	}
}

// snapshots returns the listed snapshots in repo.Snapshots' order, with a
// *repo.DamagedSnapshotsError for those that cannot be read (nil if none).
func (c *snapshotCache) snapshots(ctx context.Context, r *repo.Repository) ([]repo.Snapshot, *repo.DamagedSnapshotsError, error) {
	ids, err := r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.byID == nil {
		c.byID = map[format.ID]repo.Snapshot{}
	}
	var missing []format.ID
	for _, id := range ids {
		if _, ok := c.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()

	loaded := make([]repo.Snapshot, len(missing))
	errs := make([]error, len(missing))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, id := range missing {
		g.Go(func() error {
			loaded[i], errs[i] = r.LoadSnapshot(gctx, id)
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through errs
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("load snapshots: %w", err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	var dmg []repo.DamagedSnapshot
	for i, id := range missing {
		if errs[i] != nil {
			dmg = append(dmg, repo.DamagedSnapshot{ID: id, Err: errs[i]})
			continue
		}
		c.byID[id] = loaded[i]
	}
	if len(missing) > len(dmg) || len(c.byID) > len(ids)-len(dmg) {
		c.sorted = nil // some came, or some went
	}
	if c.sorted == nil {
		listed := make(map[format.ID]bool, len(ids))
		for _, id := range ids {
			listed[id] = true
		}
		for id := range c.byID {
			if !listed[id] {
				delete(c.byID, id)
			}
		}
		c.sorted = slices.Collect(maps.Values(c.byID))
		repo.SortSnapshots(c.sorted)
	}
	out := slices.Clone(c.sorted)
	c.count, c.listed = len(out), time.Now()
	if len(dmg) == 0 {
		return out, nil, nil
	}
	slices.SortFunc(dmg, func(a, b repo.DamagedSnapshot) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out, &repo.DamagedSnapshotsError{Damaged: dmg}, nil
}
