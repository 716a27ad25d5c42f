package backup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
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
	// GroupBy says which of the snapshots are candidates for the parent
	// (restic's --group-by): those of the same host, the same paths and/or
	// with all of Tags. Nil is restic's default, host and paths;
	// &retention.GroupBy{} is no grouping.
	GroupBy *retention.GroupBy
	// Force reads every file, ignoring the parent snapshot.
	Force bool
	// DryRun saves nothing: the files are read, chunked and packed to
	// count what the backup would add, and no pack, index or snapshot is
	// written (restic's --dry-run). RunPaths then takes no lock.
	DryRun bool
	// Stdin, if set, is the one file of the snapshot, read from a stream
	// (restic's --stdin and --stdin-from-command); the targets are then
	// empty. No parent is used: the stream is read whole in any case.
	Stdin *Stream
	// SkipIfUnchanged writes no snapshot when the tree saved is the
	// parent's (restic's --skip-if-unchanged): nothing changed since.
	SkipIfUnchanged bool
	// Program is recorded as the snapshot's program_version.
	Program  string
	Logger   *slog.Logger
	Progress func(archiver.Stats)
	// Reading is archiver.Options.Reading: which files are being read.
	Reading func(path string, reading bool)
	// Confirm, if set, is called once the data is saved and before the
	// snapshot is written; an error stops the backup there. A backup run
	// in the lock protocol's wait passes repo.Lock.Confirmed (RunPaths
	// does).
	Confirm func(ctx context.Context) error
	// Loaded, if set, is called by RunPaths once the index and snapshots
	// are loaded, before the walk (the CLI stops its prefetch there).
	Loaded func()
}

// Stream is a file backed up from a stream.
type Stream struct {
	// Name is the file's path in the snapshot, relative to its root
	// (restic's --stdin-filename).
	Name string
	// Open returns the content; an error of the stream (a command that
	// exits non-zero) fails the backup, and no snapshot is written.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// PathResult is what a path backup wrote.
type PathResult struct {
	ID       format.ID
	Snapshot *format.Snapshot
	// Unchanged: with SkipIfUnchanged, the tree was the parent's and no
	// snapshot was written. ID is then the parent's; Snapshot is the one
	// that was not written, for its summary.
	Unchanged bool
	// DryRun: nothing was written; ID is zero, Snapshot the one a real
	// run would have written.
	DryRun   bool
	Warnings []archiver.Warning
	Duration time.Duration
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
	aopts := archiver.Options{Exclude: opts.Exclude, OneFileSystem: opts.OneFileSystem, Logger: opts.Logger, Progress: opts.Progress, Reading: opts.Reading}
	paths := targets
	if opts.Stdin != nil {
		f, err := streamFile(opts.Stdin, snTime)
		if err != nil {
			return PathResult{}, err
		}
		targets, paths, aopts.Virtual = nil, []string{f.Path}, []archiver.VirtualFile{f}
	}
	var parentID, parentTree *format.ID
	if p, ok, err := parent(sns, paths, snTime, opts); err != nil {
		return PathResult{}, err
	} else if ok {
		parentID, parentTree = &p.ID, p.Tree
	}
	withSaver := r.WithBlobSaver
	if opts.DryRun {
		withSaver = r.WithDryRunSaver
	}
	var res archiver.Result
	stats, err := withSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, r, s, targets, parentTree, aopts)
		return err
	})
	if err != nil {
		return PathResult{}, err
	}
	end := time.Now()
	sn := &format.Snapshot{
		Time: snTime, Parent: parentID, Tree: &res.Tree, Paths: paths, Hostname: opts.Host,
		Excludes: opts.RecordExcludes, Tags: opts.Tags, ProgramVersion: opts.Program,
		Summary: summary(start, end, res.Stats, stats),
	}
	SetOwner(sn)
	done := PathResult{Snapshot: sn, Warnings: res.Warnings, Duration: end.Sub(start)}
	switch {
	case opts.DryRun:
		done.DryRun = true
		return done, nil
	case opts.SkipIfUnchanged && parentTree != nil && *parentTree == res.Tree:
		// Nothing is written that refers to this run's work: no Confirm.
		done.ID, done.Unchanged = *parentID, true
		return done, nil
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
	done.ID = id
	return done, nil
}

// streamFile is the virtual file of a stream: restic's stdin file, mode
// 0644, modified at the snapshot's time.
func streamFile(st *Stream, snTime time.Time) (archiver.VirtualFile, error) {
	name := path.Clean("/" + st.Name)
	if st.Name == "" || name == "/" {
		return archiver.VirtualFile{}, fmt.Errorf("the file name for the stream is empty (give one with --stdin-filename)")
	}
	return archiver.VirtualFile{Path: name, Mode: 0o644, ModTime: snTime, Open: st.Open}, nil
}

// parent returns the snapshot whose unchanged files are not read again:
// none with Force or for a stream, the one named by Parent, or the newest
// of the group (host and paths by default, see GroupBy) not newer than
// snTime.
func parent(sns []repo.Snapshot, paths []string, snTime time.Time, opts PathOptions) (repo.Snapshot, bool, error) {
	switch {
	case opts.Force || opts.Stdin != nil:
		return repo.Snapshot{}, false, nil
	case opts.Parent != "":
		p, err := repo.FindSnapshot(sns, opts.Parent)
		if err != nil {
			return repo.Snapshot{}, false, fmt.Errorf("parent snapshot: %w", err)
		}
		return p, true, nil
	}
	g := retention.DefaultGroupBy
	if opts.GroupBy != nil {
		g = *opts.GroupBy
	}
	p, ok := newestOfGroup(sns, g, opts.Host, paths, opts.Tags, snTime)
	return p, ok, nil
}

// newestOfGroup returns the newest snapshot not newer than notAfter that
// falls in the group of host, paths and tags by g: restic's rule for a
// backup's parent (docs/format.md §11.2).
func newestOfGroup(sns []repo.Snapshot, g retention.GroupBy, host string, paths, tags []string, notAfter time.Time) (repo.Snapshot, bool) {
	for i := len(sns) - 1; i >= 0; i-- {
		sn := sns[i]
		switch {
		case sn.Time.After(notAfter),
			g.Host && sn.Hostname != host,
			g.Paths && !samePaths(sn.Paths, paths),
			g.Tags && !hasTags(sn.Tags, tags):
			continue
		}
		return sn, true
	}
	return repo.Snapshot{}, false
}

// samePaths reports whether a and b hold the same paths in any order.
func samePaths(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// hasTags reports whether have holds every tag of want, as restic's
// parent search with --group-by tags asks.
func hasTags(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
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
