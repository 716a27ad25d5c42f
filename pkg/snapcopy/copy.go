package snapcopy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ErrSameRepository is returned when source and destination are one
// repository: every snapshot would be "copied" onto itself.
var ErrSameRepository = errors.New("source and destination are the same repository")

// Options tune a copy. The zero value means defaults.
type Options struct {
	// Readers is how many blobs are read from the source at once; 0
	// means 4, a few backend connections' worth.
	Readers int
	Logger  *slog.Logger // nil discards
	// Report, if set, is called after each snapshot, copied or skipped.
	Report func(Result)
	// Progress, if set, is called after each blob copied, from several
	// goroutines at once; Run then first walks the snapshots' trees to
	// know the totals.
	Progress func(Progress)
}

func (o Options) withDefaults() Options {
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Report == nil {
		o.Report = func(Result) {}
	}
	return o
}

// Result is what became of one source snapshot.
type Result struct {
	Source repo.Snapshot
	// Skipped: the destination held the snapshot already, as Copy.
	Skipped bool
	// Copy is the destination's snapshot: the one written, or the one
	// that made the copy unnecessary.
	Copy  format.ID
	Stats repo.SaverStats // what the copy added to the destination
}

// Summary counts a whole run.
type Summary struct {
	Copied, Skipped int
	Stats           repo.SaverStats // summed over the copied snapshots
}

// Run copies the snapshots sns of src into dst, oldest first as given,
// skipping those dst already holds. The caller holds a lock on both
// repositories (a shared one suffices: copying only adds) and passes the
// lock's context. Run loads both indexes itself.
//
// Run stops at the first snapshot that cannot be copied, as restic does:
// the snapshots before it are in dst, it and those after it are not, and
// the error names the snapshot and what could not be read. Continuing
// would be unsafe in this process: the failed scope's packs are in dst's
// in-memory index but maybe in no index file.
func Run(ctx context.Context, src, dst *repo.Repository, sns []repo.Snapshot, opts Options) (Summary, error) {
	opts = opts.withDefaults()
	if src.Config().ID == dst.Config().ID {
		return Summary{}, fmt.Errorf("%w (repository ID %.10s)", ErrSameRepository, src.Config().ID)
	}
	if err := src.LoadIndex(ctx); err != nil {
		return Summary{}, fmt.Errorf("load the source's index: %w", err)
	}
	if err := dst.LoadIndex(ctx); err != nil {
		return Summary{}, fmt.Errorf("load the destination's index: %w", err)
	}
	existing, err := destinationSnapshots(ctx, dst, opts.Logger)
	if err != nil {
		return Summary{}, err
	}
	c := &copier{src: src, dst: dst, readers: opts.Readers, done: map[format.ID]struct{}{}}
	if opts.Progress != nil {
		if c.progress, err = newCounter(ctx, src, dst, existing, sns, opts); err != nil {
			return Summary{}, err
		}
	}
	var sum Summary
	for _, sn := range sns {
		if have, ok := existing.find(sn); ok {
			sum.Skipped++
			opts.Report(Result{Source: sn, Skipped: true, Copy: have.ID})
			continue
		}
		res, err := c.snapshot(ctx, sn)
		if err != nil {
			return sum, fmt.Errorf("copy snapshot %s: %w", sn.ID.Str(), err)
		}
		existing.add(repo.Snapshot{ID: res.Copy, Snapshot: copyDoc(sn)})
		sum.Copied++
		addStats(&sum.Stats, res.Stats)
		opts.Report(res)
	}
	return sum, nil
}

// newCounter measures what copying the snapshots of sns that dst lacks
// will copy.
func newCounter(ctx context.Context, src, dst *repo.Repository, existing copies, sns []repo.Snapshot, opts Options) (*counter, error) {
	var todo []repo.Snapshot
	for _, sn := range sns {
		if _, ok := existing.find(sn); !ok {
			todo = append(todo, sn)
		}
	}
	total, err := measure(ctx, src, dst, todo, opts.Readers)
	if err != nil {
		return nil, fmt.Errorf("measure what to copy: %w", err)
	}
	return &counter{total: total, report: opts.Progress}, nil
}

// destinationSnapshots indexes dst's snapshots. A damaged snapshot file is
// skipped with a warning: at worst a snapshot it held is copied again.
func destinationSnapshots(ctx context.Context, dst *repo.Repository, log *slog.Logger) (copies, error) {
	sns, err := dst.Snapshots(ctx)
	var dmg *repo.DamagedSnapshotsError
	if errors.As(err, &dmg) {
		for _, d := range dmg.Damaged {
			log.Warn("destination snapshot cannot be read; a snapshot it holds may be copied again", "snapshot", d.ID.Str(), "err", d.Err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("list the destination's snapshots: %w", err)
	}
	return indexCopies(sns), nil
}

// snapshot copies one snapshot: its blobs in a write scope of their own
// (packed, uploaded and indexed when it returns), then its file.
func (c *copier) snapshot(ctx context.Context, sn repo.Snapshot) (Result, error) {
	if sn.Tree == nil {
		return Result{}, fmt.Errorf("%w: the snapshot has no tree", repo.ErrCorrupt)
	}
	var trees map[format.ID]struct{}
	stats, err := c.dst.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		trees, err = c.blobs(ctx, s, *sn.Tree)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	id, err := c.dst.SaveSnapshot(ctx, copyDoc(sn))
	if err != nil {
		return Result{}, err
	}
	// Only now are these trees known complete in dst: later snapshots
	// of this run need not walk them again.
	for t := range trees {
		c.done[t] = struct{}{}
	}
	return Result{Source: sn, Copy: id, Stats: stats}, nil
}

// copyDoc is the destination's snapshot document for sn: the same but for
// parent, which names a snapshot of the source, and original, which
// keeps naming sn's first version so that the next run recognises it.
func copyDoc(sn repo.Snapshot) *format.Snapshot {
	doc := *sn.Snapshot
	doc.Parent = nil
	if doc.Original == nil {
		id := sn.ID
		doc.Original = &id
	}
	return &doc
}

func addStats(sum *repo.SaverStats, s repo.SaverStats) {
	sum.DataBlobs += s.DataBlobs
	sum.TreeBlobs += s.TreeBlobs
	sum.DataAdded += s.DataAdded
	sum.DataAddedPacked += s.DataAddedPacked
	sum.Packs += s.Packs
}
