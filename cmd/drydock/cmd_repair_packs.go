package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repair"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func newRepairPacksCommand(g *globalOptions) *cobra.Command {
	var opts repair.PacksOptions
	cmd := &cobra.Command{
		Use:   "packs PACK-ID...",
		Short: "Salvage the intact blobs of damaged packs and remove the packs (exclusive lock)",
		Long: `Repair packs copies each named pack file, damaged as it is, to pack-ID in
--backup-dir (the current directory, as restic's), saves every blob of it
that still decrypts and matches its ID into new packs, writes the index
anew without the damaged packs and removes them. check --read-data names
the damaged packs. Blobs that could not be read are named; run
drydock repair snapshots --forget next to take them out of the snapshots.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := packIDs(args)
			if err != nil {
				return err
			}
			return g.withRepository(cmd.Context(), func(ctx context.Context, r *repo.Repository) error {
				return r.WithLock(ctx, deleting(true), func(ctx context.Context, l *repo.Lock) error {
					opts.Logger = g.logger()
					res, err := repair.Packs(ctx, r, ids, opts, l.CheckExclusive)
					printRepairPacks(g, res, err == nil)
					return err
				})
			})
		},
	}
	cmd.Flags().StringVar(&opts.BackupDir, "backup-dir", ".", "`directory` for the copies of the damaged packs ('' for none)")
	return cmd
}

// packIDs parses whole pack IDs: a prefix is refused, as restic's, since
// the packs named are removed.
func packIDs(args []string) ([]format.ID, error) {
	ids := make([]format.ID, 0, len(args))
	for _, a := range args {
		id, err := format.ParseID(a)
		if err != nil {
			return nil, fmt.Errorf("pack ID %q: want the whole 64-digit ID (check --read-data prints it): %w", a, err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errors.New("no pack ID given")
	}
	return ids, nil
}

func printRepairPacks(g *globalOptions, res repair.PacksResult, done bool) {
	for _, h := range res.Lost {
		fmt.Fprintf(g.stderr, "warning: %s blob %s could not be salvaged\n", h.Type, h.ID)
	}
	if !g.quiet {
		for _, name := range res.BackedUp {
			fmt.Fprintf(g.stdout, "saved a copy of the damaged pack as %s\n", name)
		}
		fmt.Fprintf(g.stdout, "salvaged %d blobs; wrote %d index files; removed %d packs\n", res.Salvaged, len(res.Written), len(res.Removed))
	}
	if done && len(res.Lost) > 0 {
		fmt.Fprintf(g.stderr, "%d blobs are lost: run drydock repair snapshots --forget to take them out of the snapshots that use them\n", len(res.Lost))
	}
}
