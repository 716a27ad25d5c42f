package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repair"
	"github.com/drydock-backup/drydock/pkg/repo"
)

func newRepairCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "repair", Short: "Mend a damaged repository, as restic's repair"}
	cmd.AddCommand(newRepairIndexCommand(g))
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
			return g.withLock(cmd.Context(), true, func(ctx context.Context, r *repo.Repository) error {
				opts.Logger = g.logger()
				res, err := repair.Index(ctx, r, opts, r.CheckExclusive)
				printRepairIndex(g, res)
				return err
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
