package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ErrSnapshotNotFound is returned when no snapshot matches.
var ErrSnapshotNotFound = errors.New("no matching snapshot found")

// ErrAmbiguousSnapshot is returned for a prefix that more than one
// snapshot's ID starts with.
var ErrAmbiguousSnapshot = errors.New("is ambiguous")

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
	if err != nil { // intact as stored (its hash and MAC hold), but not a snapshot
		return Snapshot{}, fmt.Errorf("snapshot %v: %w: %w", id.Str(), ErrCorrupt, err)
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
//
// A snapshot file that cannot be loaded does not hide the others: the
// intact snapshots are returned together with a *DamagedSnapshotsError
// naming each unreadable file. Callers that only read (list, restore) warn
// and go on; callers that delete must refuse (see RefuseDeleteIfDamaged),
// since an unreadable snapshot may be all that keeps its data. Any other
// error (listing failed, ctx done) returns no snapshots.
func (r *Repository) Snapshots(ctx context.Context) ([]Snapshot, error) {
	ids, err := r.List(ctx, backend.SnapshotFile)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, len(ids))
	errs := make([]error, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, id := range ids {
		g.Go(func() error {
			out[i], errs[i] = r.LoadSnapshot(gctx, id)
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through errs
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load snapshots: %w", err)
	}
	var damaged []DamagedSnapshot
	intact := out[:0]
	for i, sn := range out {
		if errs[i] != nil {
			damaged = append(damaged, DamagedSnapshot{ID: ids[i], Err: errs[i]})
			continue
		}
		intact = append(intact, sn)
	}
	SortSnapshots(intact)
	if len(damaged) > 0 {
		slices.SortFunc(damaged, func(a, b DamagedSnapshot) int { return strings.Compare(a.ID.String(), b.ID.String()) })
		return intact, &DamagedSnapshotsError{Damaged: damaged}
	}
	return intact, nil
}

// SortSnapshots sorts sns in Snapshots' order: oldest first, snapshots of
// the same time by ID.
func SortSnapshots(sns []Snapshot) {
	slices.SortStableFunc(sns, func(a, b Snapshot) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
}

// DamagedSnapshot is a snapshot file that could not be loaded.
type DamagedSnapshot struct {
	ID  format.ID
	Err error
}

// DamagedSnapshotsError is returned by Snapshots, together with the intact
// snapshots, when some snapshot files cannot be loaded. Find it with
// errors.As.
type DamagedSnapshotsError struct {
	Damaged []DamagedSnapshot // sorted by ID
}

func (e *DamagedSnapshotsError) Error() string {
	msgs := make([]string, len(e.Damaged))
	for i, d := range e.Damaged {
		msgs[i] = fmt.Sprintf("snapshot %s cannot be read: %v", d.ID.Str(), d.Err)
	}
	return strings.Join(msgs, "; ")
}

// Unwrap gives the causes, so that errors.Is(err, ErrCorrupt) holds for a
// corrupt file.
func (e *DamagedSnapshotsError) Unwrap() []error {
	errs := make([]error, len(e.Damaged))
	for i, d := range e.Damaged {
		errs[i] = d.Err
	}
	return errs
}

// Has reports whether id is one of the damaged files.
func (e *DamagedSnapshotsError) Has(id format.ID) bool {
	return slices.ContainsFunc(e.Damaged, func(d DamagedSnapshot) bool { return d.ID == id })
}

// LatestUnknown is the error of resolving "latest" (also among the
// snapshots of a host, a path, a tag, a volume or an app) while snapshot
// files cannot be read, nil if e is nil: the time, host, paths and tags
// of a damaged file are unknown, so it may be the newest, and the newest
// intact one would be restored in its place without anyone noticing. An
// ID still names an intact snapshot.
func (e *DamagedSnapshotsError) LatestUnknown() error {
	if e == nil || len(e.Damaged) == 0 {
		return nil
	}
	paths := make([]string, len(e.Damaged))
	for i, d := range e.Damaged {
		paths[i] = backend.Dir(backend.SnapshotFile) + "/" + d.ID.String()
	}
	return fmt.Errorf("cannot tell which snapshot is the latest: %w; a snapshot that cannot be read may be the newest: "+
		"name an intact snapshot by its ID (drydock snapshots lists them), or repair or remove %s", e, strings.Join(paths, ", "))
}

// RefuseDeleteIfDamaged returns err with the reason a deleting command
// (forget, prune) stops if err holds a *DamagedSnapshotsError, and err
// unchanged otherwise. Deleting while a snapshot cannot be read could
// remove data only that snapshot still refers to.
func RefuseDeleteIfDamaged(err error) error {
	var dmg *DamagedSnapshotsError
	if !errors.As(err, &dmg) {
		return err
	}
	paths := make([]string, len(dmg.Damaged))
	for i, d := range dmg.Damaged {
		paths[i] = backend.Dir(backend.SnapshotFile) + "/" + d.ID.String()
	}
	return fmt.Errorf("%w; refusing to delete anything while a snapshot cannot be read, since it may protect data; "+
		"repair or remove it first (%s)", err, strings.Join(paths, ", "))
}

// FindSnapshot resolves "latest" or a unique ID prefix (as restic's CLI
// accepts) among snapshots.
func FindSnapshot(snapshots []Snapshot, ref string) (Snapshot, error) {
	return FindSnapshotAmong(snapshots, nil, ref)
}

// FindSnapshotAmong is FindSnapshot that also knows the damaged snapshot
// files (dmg may be nil): an ID or prefix that names a damaged file fails
// with its cause instead of "not found", and a prefix matching an intact
// and a damaged file is ambiguous, as it is on storage. "latest" fails
// while a file is damaged (see LatestUnknown), as restic's does.
func FindSnapshotAmong(snapshots []Snapshot, dmg *DamagedSnapshotsError, ref string) (Snapshot, error) {
	if ref == "latest" {
		if err := dmg.LatestUnknown(); err != nil {
			return Snapshot{}, err
		}
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
	var broken []DamagedSnapshot
	if dmg != nil && ref != "" {
		for _, d := range dmg.Damaged {
			if strings.HasPrefix(d.ID.String(), ref) {
				broken = append(broken, d)
			}
		}
	}
	switch n := len(found) + len(broken); {
	case n == 0 || ref == "":
		return Snapshot{}, fmt.Errorf("%w: %q", ErrSnapshotNotFound, ref)
	case n > 1:
		return Snapshot{}, fmt.Errorf("snapshot prefix %q %w (%d matches)", ref, ErrAmbiguousSnapshot, n)
	case len(broken) == 1:
		return Snapshot{}, fmt.Errorf("snapshot %s cannot be read: %w", broken[0].ID.Str(), broken[0].Err)
	}
	return found[0], nil
}

// ReadableSnapshots is Snapshots for callers that only read snapshots,
// such as a backup choosing its parent: a damaged snapshot file is logged
// as a warning and skipped, so that it does not stop every later backup.
// Any other error is returned. Callers that delete must use Snapshots.
func (r *Repository) ReadableSnapshots(ctx context.Context) ([]Snapshot, error) {
	sns, err := r.Snapshots(ctx)
	var dmg *DamagedSnapshotsError
	if errors.As(err, &dmg) {
		for _, d := range dmg.Damaged {
			r.opts.Logger.Warn("skipping a snapshot that cannot be read", "snapshot", d.ID.Str(), "err", d.Err)
		}
		return sns, nil
	}
	return sns, err
}
