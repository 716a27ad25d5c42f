package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snapedit"
)

func newRewriteCommand(g *globalOptions) *cobra.Command {
	var filter retention.Filter
	var opts snapedit.RewriteOptions
	var excludeFiles []string
	cmd := &cobra.Command{
		Use:   "rewrite --exclude P [--exclude-file F] [--forget] [--dry-run] [SNAPSHOT...]",
		Short: "Write snapshots anew without the files --exclude names, as restic's rewrite",
		Long: `Rewrite writes the snapshots named (or all that --host/--tag/--path select)
anew without the entries the --exclude patterns match (backup's patterns,
matched against the paths in the snapshot). Time, host and tags stay; the
new snapshot names its first version in "original". Without --forget the
original stays and the new one is tagged "rewrite"; with --forget the
original is removed once the new one is stored. The data only the left-out
files used is freed by the next prune. Snapshots that lose nothing are left
alone.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range excludeFiles {
				pats, err := archiver.ReadPatternFile(f)
				if err != nil {
					return err
				}
				opts.Excludes = append(opts.Excludes, pats...)
			}
			if err := archiver.CheckPatterns(opts.Excludes); err != nil {
				return err
			}
			return g.withLockMode(cmd.Context(), deleting(opts.Forget && !opts.DryRun), func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectTrees(ctx, r, g, args, filter)
				if err != nil {
					return err
				}
				done, err := snapedit.Rewrite(ctx, r, sns, opts)
				printRewrites(g, done, opts.DryRun)
				return err
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &filter, "H")
	f.StringArrayVarP(&opts.Excludes, "exclude", "e", nil, "leave out what `pattern` matches (repeatable; backup's patterns)")
	f.StringArrayVar(&excludeFiles, "exclude-file", nil, "read patterns from `file`, one per line (repeatable)")
	f.BoolVar(&opts.Forget, "forget", false, "remove each original once its rewrite is stored")
	f.BoolVarP(&opts.DryRun, "dry-run", "n", false, "say what would be left out; change nothing")
	return cmd
}

// printRewrites says what changed in each snapshot rewritten.
func printRewrites(g *globalOptions, done []snapedit.Rewritten, dryRun bool) {
	if g.quiet {
		return
	}
	for _, rw := range done {
		fmt.Fprintf(g.stdout, "snapshot %s:\n", rw.Old.Str())
		shown := rw.Changes[:min(10, len(rw.Changes))]
		for _, c := range shown {
			fmt.Fprintf(g.stdout, "  %s\n", c)
		}
		if n := len(rw.Changes) - len(shown); n > 0 {
			fmt.Fprintf(g.stdout, "  and %d more\n", n)
		}
		if !dryRun {
			fmt.Fprintf(g.stdout, "  saved as snapshot %s\n", rw.New.Str())
		}
	}
	switch {
	case len(done) == 0:
		fmt.Fprintln(g.stdout, "no snapshots were modified")
	case dryRun:
		fmt.Fprintf(g.stdout, "would rewrite %d snapshots\n", len(done))
	default:
		fmt.Fprintf(g.stdout, "rewrote %d snapshots\n", len(done))
	}
}
