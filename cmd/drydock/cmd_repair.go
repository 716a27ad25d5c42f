package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repair"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snapedit"
)

func newRepairCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "repair", Short: "Mend a damaged repository, as restic's repair"}
	cmd.AddCommand(newRepairIndexCommand(g), newRepairSnapshotsCommand(g), newRepairPacksCommand(g))
	return cmd
}

func newRepairSnapshotsCommand(g *globalOptions) *cobra.Command {
	var filter retention.Filter
	var opts snapedit.RepairOptions
	cmd := &cobra.Command{
		Use:   "snapshots [--forget] [--dry-run] [SNAPSHOT...]",
		Short: "Write snapshots that refer to missing data anew without it (run repair index first)",
		Long: `Repair snapshots writes anew each snapshot named (or that --host/--tag/--path
select) that refers to data the repository lacks: a directory whose tree
cannot be read becomes empty, a file loses its missing chunks and keeps
the rest. This loses what is damaged for good: if the files still exist,
a new backup is the better repair. Without --forget the original stays and
the repair is tagged "repaired"; with --forget the original is removed once
the repair is stored, and prune can then clean up. Run repair index first.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLockMode(cmd.Context(), deleting(opts.Forget && !opts.DryRun), func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectSnapshots(ctx, r, g, args, filter)
				if err != nil {
					return err
				}
				done, err := snapedit.Repair(ctx, r, sns, opts)
				printRewrites(g, done, opts.DryRun)
				return err
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &filter, "H")
	f.BoolVar(&opts.Forget, "forget", false, "remove each original once its repair is stored")
	f.BoolVarP(&opts.DryRun, "dry-run", "n", false, "say what is damaged; change nothing")
	return cmd
}

func newRepairIndexCommand(g *globalOptions) *cobra.Command {
	var opts repair.IndexOptions
	cmd := &cobra.Command{
		Use:   "index [--read-all-packs]",
		Short: "Write a new index from the packs the repository holds (exclusive lock)",
		Long: `Repair index writes a new index for the packs the repository holds: from the
index files that still describe them correctly and, for the other packs,
from their headers (--read-all-packs: from every pack's header). Then it
removes the old index files. Use it when an index file is missing or
damaged, or when packs exist that no index lists (check says so).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withRepository(cmd.Context(), func(ctx context.Context, r *repo.Repository) error {
				return r.WithLock(ctx, deleting(true), func(ctx context.Context, l *repo.Lock) error {
					opts.Logger = g.logger()
					res, err := repair.Index(ctx, r, opts, l.CheckExclusive)
					printRepairIndex(g, res)
					return err
				})
			})
		},
	}
	cmd.Flags().BoolVar(&opts.ReadAllPacks, "read-all-packs", false, "read every pack's header, trusting no index file")
	return cmd
}

func printRepairIndex(g *globalOptions, res repair.IndexResult) {
	for _, id := range res.BadIndexes {
		fmt.Fprintf(g.stderr, "warning: index file %s could not be read; its packs were read again\n", id.Str())
	}
	for _, id := range res.Unreadable {
		fmt.Fprintf(g.stderr, "warning: pack %s: its header cannot be read, so its blobs are not in the new index (drydock check --read-data names what is lost)\n", id.Str())
	}
	if res.PacksDropped > 0 {
		fmt.Fprintf(g.stderr, "warning: %d packs the old index listed are gone (drydock check names the snapshots that miss data)\n", res.PacksDropped)
	}
	if g.quiet {
		return
	}
	fmt.Fprintf(g.stdout, "%d packs, %d read from their headers\n", res.Packs, res.PacksRead)
	fmt.Fprintf(g.stdout, "wrote %d index files, removed %d old index files\n", len(res.Written), res.Removed)
}
