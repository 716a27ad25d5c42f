package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
	"github.com/drydock-backup/drydock/pkg/retention"
)

type restoreOptions struct {
	target    string
	include   patternFlags
	exclude   patternFlags
	filter    retention.Filter
	dryRun    bool
	verify    bool
	delete    bool
	overwrite restorer.Overwrite
}

func newRestoreCommand(g *globalOptions) *cobra.Command {
	var opts restoreOptions
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT[:SUBFOLDER] --target DIR",
		Short: "Restore a snapshot (an ID, a prefix of one, or latest) into a directory",
		Long: `Restore writes SNAPSHOT (an ID, a unique prefix, or latest of the snapshots
--host/--tag/--path select) into --target; SNAPSHOT:SUBFOLDER restores only
that directory of the snapshot (a path as drydock ls shows it), its content
directly into the target. --include and --exclude patterns are restic's
(mutually exclusive); --overwrite says what becomes of files already in the
target, --delete removes what the snapshot lacks, --dry-run (with -vv to see
each entry) writes nothing, and --verify reads the restored files back.

It never writes or deletes outside the target and restores everything it
can from a damaged repository: each entry it cannot restore is named on
stderr, a file restored only in part is kept as NAME.drydock-partial, and
the exit code is then 1, as it is when --verify finds a difference.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ro, err := opts.restorerOptions()
			if err != nil {
				return err
			}
			return g.withReadLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runRestore(ctx, r, opts, ro, g, args[0])
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.target, "target", "t", "", "directory to restore into")
	opts.exclude.addFlags(f, "exclude", "e", "leave out")
	opts.include.addFlags(f, "include", "i", "restore only")
	f.BoolVar(&opts.dryRun, "dry-run", false, "write nothing, only say what would be done (each entry with -vv)")
	f.BoolVar(&opts.verify, "verify", false, "read the restored files back and check their content")
	f.Var(&opts.overwrite, "overwrite", "what to do with files already in the target: always, if-changed, if-newer or never")
	f.BoolVar(&opts.delete, "delete", false, "delete what the target has and the snapshot does not (see it first with --dry-run -vv)")
	addSnapshotFilterFlags(f, &opts.filter, "H")
	return cmd
}

// restorerOptions checks the flags, as restic does before it opens the
// repository, and reads the pattern files.
func (o restoreOptions) restorerOptions() (restorer.Options, error) {
	var ro restorer.Options
	if o.target == "" {
		return ro, errors.New("--target is required: the directory to restore into, e.g. drydock restore latest --target /tmp/restore")
	}
	var err error
	if ro.Include, ro.IInclude, err = o.include.collect(); err != nil {
		return ro, err
	}
	if ro.Exclude, ro.IExclude, err = o.exclude.collect(); err != nil {
		return ro, err
	}
	filtered := len(ro.Include)+len(ro.IInclude)+len(ro.Exclude)+len(ro.IExclude) > 0
	switch {
	case (len(ro.Include) > 0 || len(ro.IInclude) > 0) && (len(ro.Exclude) > 0 || len(ro.IExclude) > 0):
		return ro, fmt.Errorf("--include and --exclude: %w", restorer.ErrIncludeAndExclude)
	case o.dryRun && o.verify:
		return ro, errors.New("--dry-run and --verify are mutually exclusive: a dry run writes nothing to verify")
	case o.delete && filepath.Clean(o.target) == "/" && !filtered:
		return ro, errors.New("--target / --delete must be combined with an include or exclude filter: it would delete everything the snapshot lacks")
	}
	ro.DryRun, ro.Verify, ro.Delete, ro.Overwrite = o.dryRun, o.verify, o.delete, o.overwrite
	return ro, nil
}

func runRestore(ctx context.Context, r *repo.Repository, opts restoreOptions, ro restorer.Options, g *globalOptions, arg string) error {
	sn, tree, err := findSnapshotDir(ctx, r, g, arg, opts.filter)
	if err != nil {
		return err
	}
	target, err := filepath.Abs(opts.target)
	if err != nil {
		return fmt.Errorf("--target: %w", err)
	}
	out := newRestoreOutput(g)
	out.start(sn, target)
	ro.Logger, ro.Item = g.logger(), out.item
	ro.Failed, ro.Warned = restoreFailurePrinter(g, "error"), restoreFailurePrinter(g, "warning")
	line, progress := filesRestoreProgress(g.stderr, g.quiet || g.json || g.verbose > 0)
	ro.Progress = progress
	ro.Verifying = func(st restorer.Stats) { line.finish(); out.summary(st); out.verifying(target) }
	st, err := restorer.Restore(ctx, r, tree, target, ro)
	line.finish()
	if err != nil && !errors.Is(err, restorer.ErrIncomplete) && !errors.Is(err, restorer.ErrVerify) {
		return err
	}
	out.summary(st) // unless Verifying printed it
	switch {
	case errors.Is(err, restorer.ErrVerify):
		return fmt.Errorf("verifying the files in %s: %w", target, err)
	case err != nil:
		return fmt.Errorf("%d entries could not be restored fully (each is named above; partly restored files end in %s): %w",
			st.Failed, restorer.PartialSuffix, restorer.ErrIncomplete)
	case ro.Verify:
		out.verified(st, target)
	}
	return nil
}
