package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// PathOptions describe a snapshot of plain paths.
type PathOptions struct {
	Host string // recorded host name; default: this host's
	Tags []string
	// Exclude is what is left out.
	Exclude archiver.Exclusions
	// RecordExcludes are the patterns the snapshot records as its
	// excludes: restic records those of --exclude, not those read from
	// files or the other rules.
	RecordExcludes []string
	// OneFileSystem: see archiver.Options.
	OneFileSystem bool
	// Parent, if set, names the parent snapshot ("latest" or an ID
	// prefix, restic's --parent) instead of the newest one of the same
	// host and paths.
	Parent string
	// Time, if set, is the snapshot's time (restic's --time); the parent
	// found is then the newest not newer than it.
	Time time.Time
	// Force reads every file, ignoring the parent snapshot.
	Force bool
	// SkipIfUnchanged writes no snapshot when the tree saved is the
	// parent's (restic's --skip-if-unchanged): nothing changed since.
	SkipIfUnchanged bool
	// Program is recorded as the snapshot's program_version.
	Program  string
	Logger   *slog.Logger
	Progress func(archiver.Stats)
	// Confirm, if set, is called once the data is saved and before the
	// snapshot is written; an error stops the backup there. A backup run
	// in the lock protocol's wait passes repo.Lock.Confirmed (RunPaths
	// does).
	Confirm func(ctx context.Context) error
	// Loaded, if set, is called by RunPaths once the index and snapshots
	// are loaded, before the walk (the CLI stops its prefetch there).
	Loaded func()
}

// PathResult is what a path backup wrote.
type PathResult struct {
	ID       format.ID
	Snapshot *format.Snapshot
	// Unchanged: with SkipIfUnchanged, the tree was the parent's and no
	// snapshot was written. ID is then the parent's; Snapshot is the one
	// that was not written, for its summary.
	Unchanged bool
	Warnings  []archiver.Warning
	Duration  time.Duration
}

// Paths saves targets (absolute, clean paths) as one snapshot. sns are the
// repository's snapshots, loaded under the caller's lock with the index;
// the parent is the newest of them with the same host and paths.
func Paths(ctx context.Context, r *repo.Repository, targets []string, sns []repo.Snapshot, opts PathOptions) (PathResult, error) {
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	start := time.Now()
	snTime := opts.Time
	if snTime.IsZero() {
		snTime = start
	}
	var parentID, parentTree *format.ID
	if p, ok, err := parent(sns, targets, snTime, opts); err != nil {
		return PathResult{}, err
	} else if ok {
		parentID, parentTree = &p.ID, p.Tree
	}
	var res archiver.Result
	stats, err := r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, r, s, targets, parentTree, archiver.Options{Exclude: opts.Exclude, OneFileSystem: opts.OneFileSystem, Logger: opts.Logger, Progress: opts.Progress})
		return err
	})
	if err != nil {
		return PathResult{}, err
	}
	end := time.Now()
	sn := &format.Snapshot{
		Time: snTime, Parent: parentID, Tree: &res.Tree, Paths: targets, Hostname: opts.Host,
		Excludes: opts.RecordExcludes, Tags: opts.Tags, ProgramVersion: opts.Program,
		Summary: summary(start, end, res.Stats, stats),
	}
	SetOwner(sn)
	if opts.SkipIfUnchanged && parentTree != nil && *parentTree == res.Tree {
		// Nothing is written that refers to this run's work: no Confirm.
		return PathResult{ID: *parentID, Snapshot: sn, Unchanged: true, Warnings: res.Warnings, Duration: end.Sub(start)}, nil
	}
	if opts.Confirm != nil {
		if err := opts.Confirm(ctx); err != nil {
			return PathResult{}, err
		}
	}
	id, err := r.SaveSnapshot(ctx, sn)
	if err != nil {
		return PathResult{}, err
	}
	return PathResult{ID: id, Snapshot: sn, Warnings: res.Warnings, Duration: end.Sub(start)}, nil
}

// parent returns the snapshot whose unchanged files are not read again:
// none with Force, the one named by Parent, or the newest of the same host
// and paths not newer than snTime.
func parent(sns []repo.Snapshot, targets []string, snTime time.Time, opts PathOptions) (repo.Snapshot, bool, error) {
	switch {
	case opts.Force:
		return repo.Snapshot{}, false, nil
	case opts.Parent != "":
		p, err := repo.FindSnapshot(sns, opts.Parent)
		if err != nil {
			return repo.Snapshot{}, false, fmt.Errorf("parent snapshot: %w", err)
		}
		return p, true, nil
	}
	p, ok := repo.FindParent(sns, opts.Host, targets, snTime)
	return p, ok, nil
}

// summary is restic's snapshot summary for one archiver run.
func summary(start, end time.Time, a archiver.Stats, s repo.SaverStats) *format.SnapshotSummary {
	return &format.SnapshotSummary{
		BackupStart: start, BackupEnd: end,
		FilesNew: a.FilesNew, FilesChanged: a.FilesChanged, FilesUnmodified: a.FilesUnmodified,
		DirsNew: a.DirsNew, DirsChanged: a.DirsChanged, DirsUnmodified: a.DirsUnmodified,
		DataBlobs: s.DataBlobs, TreeBlobs: s.TreeBlobs, DataAdded: s.DataAdded, DataAddedPacked: s.DataAddedPacked,
		TotalFilesProcessed: a.FilesProcessed, TotalBytesProcessed: a.BytesProcessed,
	}
}
