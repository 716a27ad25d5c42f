package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/archiver"
	pathbackup "github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// version is reported in snapshots' program_version.
const version = "0.1.0-dev"

type backupOptions struct {
	tags     []string
	host     string
	excludes []string
	// The other --exclude* flags, read by exclusions.
	excludeFiles, iexcludes, iexcludeFiles []string
	excludeCaches                          bool
	excludeIfPresent                       []string
	excludeLargerThan                      string
	oneFileSystem                          bool
	filesFrom                              filesFrom
	parent                                 string
	time                                   string
	force                                  bool
	// skipUnchanged: restic's --skip-if-unchanged.
	skipUnchanged bool
	dryRun        bool
	groupBy       retention.GroupBy
	stdin         stdinOptions
}

func newBackupCommand(g *globalOptions) *cobra.Command {
	var opts backupOptions
	cmd := &cobra.Command{
		Use:   "backup PATH...",
		Short: "Save directories and files as a new snapshot",
		Long: `Save directories and files as a new snapshot. Files unchanged since the
parent snapshot (same host and paths) are not read again.

With no repository configured (no -r, RESTIC_REPOSITORY or password), drydock
uses its default repository in the user's data directory, creating it and a
random password file on first use.`,
		Args: func(cmd *cobra.Command, args []string) error {
			f := opts.filesFrom
			if len(f.patterns)+len(f.verbatim)+len(f.raw) > 0 || opts.stdin.enabled() {
				return nil // the files or the stream name the targets; runBackup checks
			}
			return cobra.MinimumNArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackup(cmd.Context(), opts, g, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.tags, "tag", nil, "add a tag to the snapshot (repeatable)")
	f.StringVar(&opts.host, "host", "", "hostname to record (default: this host's name)")
	f.StringArrayVarP(&opts.excludes, "exclude", "e", nil, "exclude a pattern (repeatable; see below)")
	f.StringArrayVar(&opts.excludeFiles, "exclude-file", nil, "read exclude patterns from a `file` (repeatable)")
	f.StringArrayVar(&opts.iexcludes, "iexclude", nil, "like --exclude, ignoring case (repeatable)")
	f.StringArrayVar(&opts.iexcludeFiles, "iexclude-file", nil, "like --exclude-file, ignoring case (repeatable)")
	f.BoolVar(&opts.excludeCaches, "exclude-caches", false, "leave out the contents of directories holding a CACHEDIR.TAG")
	f.StringArrayVar(&opts.excludeIfPresent, "exclude-if-present", nil, "leave out the contents of directories holding `filename[:header]` (repeatable)")
	f.StringVar(&opts.excludeLargerThan, "exclude-larger-than", "", "leave out files larger than `size` (500k, 2M, 3G, 4T)")
	f.BoolVarP(&opts.oneFileSystem, "one-file-system", "x", false, "do not cross into other file systems below the targets (mount points are kept, empty)")
	f.StringArrayVar(&opts.filesFrom.patterns, "files-from", nil, "back up what the patterns in `file` match, one a line, # comments (repeatable; - is stdin)")
	f.StringArrayVar(&opts.filesFrom.verbatim, "files-from-verbatim", nil, "back up the paths in `file`, one a line, as they are (repeatable; - is stdin)")
	f.StringArrayVar(&opts.filesFrom.raw, "files-from-raw", nil, "back up the NUL-terminated paths in `file` (repeatable; - is stdin)")
	f.StringVar(&opts.parent, "parent", "", "use `snapshot` (ID prefix or latest) as the parent instead of the newest of the same host and paths")
	f.StringVar(&opts.time, "time", "", "record `time` (\"2006-01-02 15:04:05\", local time) as the snapshot's time (default: now)")
	f.BoolVar(&opts.force, "force", false, "read every file, ignoring the parent snapshot")
	f.BoolVarP(&opts.dryRun, "dry-run", "n", false, "read and pack everything, write nothing: show what the backup would add")
	opts.groupBy = retention.DefaultGroupBy
	f.VarP(&opts.groupBy, "group-by", "g", "find the parent among the snapshots of the same `group`: host, paths and/or tags, comma-separated ('' for all)")
	f.BoolVar(&opts.stdin.stdin, "stdin", false, "back up standard input as one file (see --stdin-filename)")
	f.StringVar(&opts.stdin.filename, "stdin-filename", "stdin", "`name` of the file --stdin and --stdin-from-command save")
	f.BoolVar(&opts.stdin.fromCommand, "stdin-from-command", false, "run the arguments as a command and back up its output; a command that fails saves no snapshot")
	f.BoolVar(&opts.skipUnchanged, "skip-if-unchanged", false, "write no snapshot if nothing changed since the parent snapshot")
	return cmd
}

// backupSummary is printed at the end, as text or --json: the snapshot's
// summary plus what restic's backup --json adds to it.
type backupSummary struct {
	MessageType string `json:"message_type"`
	// SnapshotID is empty when --skip-if-unchanged wrote none.
	SnapshotID string `json:"snapshot_id,omitempty"`
	// Unchanged: --skip-if-unchanged found nothing changed since Parent.
	Unchanged bool   `json:"unchanged,omitempty"`
	Parent    string `json:"parent,omitempty"`
	*format.SnapshotSummary
	Duration float64 `json:"total_duration"`
	Warnings int     `json:"warnings"`
	// DryRun: --dry-run wrote nothing; SnapshotID is empty.
	DryRun bool `json:"dry_run,omitempty"`
}

func runBackup(ctx context.Context, opts backupOptions, g *globalOptions, args []string) error {
	// Bad input fails before anything is opened or created.
	if err := opts.stdin.check(args, opts.filesFrom); err != nil {
		return err
	}
	excl, err := opts.exclusions()
	if err != nil {
		return err
	}
	snTime, err := opts.snapshotTime()
	if err != nil {
		return err
	}
	var targets []string
	var skipped []error
	if opts.stdin.enabled() {
		g.stdinIsData = opts.stdin.stdin
	} else if targets, skipped, err = opts.pathTargets(g, args); err != nil {
		return err
	}
	if opts.host == "" {
		opts.host, _ = os.Hostname()
	}
	if g.defaultRepo == nil && !opts.dryRun {
		// A dry run uses the default repository only if it exists.
		g.defaultRepo = embeddedDefault(g)
	}
	// The walk starts in the lock protocol's wait (backup.RunPaths); the
	// prefetch warms the directory cache until the index is loaded.
	stopPrefetch := archiver.Prefetch(ctx, targets, excl.Patterns)
	defer stopPrefetch()
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		po := opts.pathOptions(excl, snTime, g)
		po.Loaded = stopPrefetch
		if opts.stdin.enabled() {
			po.Stdin = opts.stdin.stream(g, args)
		}
		sn, sum, warnings, err := backupPaths(ctx, r, po, targets, g)
		if cf := (*commandFailedError)(nil); errors.As(err, &cf) {
			return cf // the command's failure, not the chunker's view of it
		}
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintf(g.stderr, "warning: %v\n", w)
		}
		sum.Warnings += len(skipped)
		printBackupSummary(g, sn, sum)
		if n := len(warnings) + len(skipped); n > 0 {
			return fmt.Errorf("%w: %d files or paths could not be read", errIncomplete, n)
		}
		return nil
	})
}

// pathTargets are the paths to back up: the arguments and those the
// --files-from* files list; the ones that cannot be read are skipped.
func (o backupOptions) pathTargets(g *globalOptions, args []string) (targets []string, skipped []error, err error) {
	listed, err := o.filesFrom.targets(g.stdin, g.stderr)
	if err != nil {
		return nil, nil, err
	}
	if len(listed)+len(args) == 0 {
		return nil, nil, errors.New("nothing to back up: the --files-from files name no target")
	}
	targets, skipped, err = backupTargets(append(listed, args...))
	if err != nil {
		return nil, nil, err
	}
	for _, err := range skipped {
		fmt.Fprintf(g.stderr, "warning: backup target skipped: %v\n", err)
	}
	return targets, skipped, nil
}

// pathOptions are the backup's options for backup.RunPaths.
func (o backupOptions) pathOptions(excl archiver.Exclusions, snTime time.Time, g *globalOptions) pathbackup.PathOptions {
	groupBy := o.groupBy
	return pathbackup.PathOptions{
		Host: o.host, Tags: o.tags, Exclude: excl, RecordExcludes: o.excludes, OneFileSystem: o.oneFileSystem, Force: o.force,
		Parent: o.parent, Time: snTime, GroupBy: &groupBy, DryRun: o.dryRun,
		Program: "drydock " + version, Logger: g.logger(), SkipIfUnchanged: o.skipUnchanged,
	}
}

// snapshotTime parses --time as restic does: local time, to the second;
// zero without the flag.
func (o backupOptions) snapshotTime() (time.Time, error) {
	if o.time == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateTime, o.time, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("--time %q: want \"2006-01-02 15:04:05\" (local time): %w", o.time, err)
	}
	return t, nil
}

// exclusions gathers the --exclude* flags into the archiver's rules and
// checks them.
func (o backupOptions) exclusions() (archiver.Exclusions, error) {
	e := archiver.Exclusions{Patterns: o.excludes, IPatterns: o.iexcludes}
	for _, f := range o.excludeFiles {
		pats, err := archiver.ReadPatternFile(f)
		if err != nil {
			return e, err
		}
		e.Patterns = append(e.Patterns, pats...)
	}
	for _, f := range o.iexcludeFiles {
		pats, err := archiver.ReadPatternFile(f)
		if err != nil {
			return e, err
		}
		e.IPatterns = append(e.IPatterns, pats...)
	}
	if o.excludeCaches {
		e.IfPresent = append(e.IfPresent, archiver.CacheMarker)
	}
	for _, m := range o.excludeIfPresent {
		e.IfPresent = append(e.IfPresent, archiver.ParseMarker(m))
	}
	if o.excludeLargerThan != "" {
		n, err := humanize.ParseBytes(o.excludeLargerThan)
		if err != nil {
			return e, fmt.Errorf("--exclude-larger-than: %w", err)
		}
		e.LargerThan = n
	}
	return e, e.Check()
}

// backupTargets makes the paths absolute and clean. Like restic, a path
// that cannot be stat'ed (typically missing) is left out and its error
// returned in skipped, so that one unmounted disk does not cost the backup
// of all the others; the caller warns and exits with exitIncomplete. If no
// path is left there is nothing to snapshot, and that is an error.
func backupTargets(args []string) (targets []string, skipped []error, err error) {
	for _, a := range args {
		p, err := filepath.Abs(a)
		if err != nil {
			return nil, nil, fmt.Errorf("backup target %q: %w", a, err)
		}
		if _, err := os.Lstat(p); err != nil {
			skipped = append(skipped, err)
			continue
		}
		targets = append(targets, p)
	}
	if len(targets) == 0 {
		msgs := make([]string, len(skipped))
		for i, e := range skipped {
			msgs[i] = e.Error()
		}
		return nil, nil, fmt.Errorf("nothing saved: no backup target can be read (%s)", strings.Join(msgs, "; "))
	}
	return targets, skipped, nil
}

// backupPaths backs the targets up under a lock of r, showing progress on
// stderr, and returns what the summary shows.
func backupPaths(ctx context.Context, r *repo.Repository, po pathbackup.PathOptions, targets []string, g *globalOptions) (format.ID, backupSummary, []archiver.Warning, error) {
	prog := newProgress(g.stderr, g.quiet || g.json)
	scanCtx, stopScan := context.WithCancel(ctx)
	defer stopScan()
	po.Progress, po.Reading = prog.watch(scanCtx, targets, archiver.Options{Exclude: po.Exclude, OneFileSystem: po.OneFileSystem})
	res, err := pathbackup.RunPaths(ctx, r, targets, po)
	prog.finish()
	if err != nil {
		return format.ID{}, backupSummary{}, nil, err
	}
	sum := backupSummary{MessageType: "summary", SnapshotSummary: res.Snapshot.Summary,
		Duration: res.Duration.Seconds(), Warnings: len(res.Warnings), DryRun: res.DryRun}
	switch {
	case res.Unchanged:
		sum.Unchanged, sum.Parent = true, res.ID.String()
	case !res.DryRun:
		sum.SnapshotID = res.ID.String()
	}
	return res.ID, sum, res.Warnings, nil
}

func printBackupSummary(g *globalOptions, id format.ID, s backupSummary) {
	if g.json {
		_ = json.NewEncoder(g.stdout).Encode(s)
		return
	}
	if g.quiet {
		return
	}
	fmt.Fprintf(g.stdout, "Files:       %d new, %d changed, %d unmodified\n", s.FilesNew, s.FilesChanged, s.FilesUnmodified)
	fmt.Fprintf(g.stdout, "Dirs:        %d new, %d changed, %d unmodified\n", s.DirsNew, s.DirsChanged, s.DirsUnmodified)
	verb := "Added"
	if s.DryRun {
		verb = "Would add"
	}
	fmt.Fprintf(g.stdout, "%s to the repository: %s (%s stored)\n", verb, humanize.Bytes(s.DataAdded, 3), humanize.Bytes(s.DataAddedPacked, 3))
	fmt.Fprintf(g.stdout, "processed %d files, %s in %.1fs\n", s.TotalFilesProcessed, humanize.Bytes(s.TotalBytesProcessed, 3), s.Duration)
	switch {
	case s.DryRun:
		fmt.Fprintln(g.stdout, "dry run: no snapshot written")
		return
	case s.Unchanged:
		fmt.Fprintf(g.stdout, "nothing changed since snapshot %s: no snapshot written\n", id.Str())
		return
	}
	fmt.Fprintf(g.stdout, "snapshot %s saved\n", id.Str())
}
