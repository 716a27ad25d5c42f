package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// listTypes are what list names, as restic's list does, and the file type
// each lists (blobs come from the index, not from files of their own).
var listTypes = map[string]backend.FileType{
	"packs": backend.PackFile, "index": backend.IndexFile, "snapshots": backend.SnapshotFile,
	"keys": backend.KeyFile, "locks": backend.LockFile, "blobs": 0,
}

const listUsage = "blobs|packs|index|snapshots|keys|locks"

func newListCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list " + listUsage,
		Short: "List the IDs of the repository's files of a type, or its blobs (one per line, as restic's list)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("list needs one type: drydock list %s (for example: drydock list snapshots)", listUsage)
			}
			t, ok := listTypes[args[0]]
			if !ok {
				return fmt.Errorf("list: unknown type %q; want one of %s", args[0], listUsage)
			}
			ctx := cmd.Context()
			if t == backend.LockFile {
				// A lock of our own would be listed too.
				return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
					return listFiles(ctx, r, g, t)
				})
			}
			return g.withListingLock(ctx, repo.LockMode{}, func(ctx context.Context, r *repo.Repository) error {
				if args[0] == "blobs" {
					return listBlobs(ctx, r, g)
				}
				return listFiles(ctx, r, g, t)
			})
		},
	}
}

func listFiles(ctx context.Context, r *repo.Repository, g *globalOptions, t backend.FileType) error {
	ids, err := r.List(ctx, t)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id.String())
		b.WriteByte('\n')
	}
	_, err = fmt.Fprint(g.stdout, b.String())
	return err
}

// listBlobs prints "data ID" or "tree ID" for every blob of the index,
// pack by pack.
func listBlobs(ctx context.Context, r *repo.Repository, g *globalOptions) error {
	if err := r.LoadIndex(ctx); err != nil {
		return err
	}
	var b strings.Builder
	r.Index().EachPack(func(_ format.ID, blobs []format.IndexBlob) bool {
		for _, bl := range blobs {
			fmt.Fprintf(&b, "%s %s\n", bl.Type, bl.ID)
		}
		return true
	})
	_, err := fmt.Fprint(g.stdout, b.String())
	return err
}
