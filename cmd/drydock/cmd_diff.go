package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snapdiff"
)

func newDiffCommand(g *globalOptions) *cobra.Command {
	var metadata bool
	cmd := &cobra.Command{
		Use:   "diff SNAPSHOT-A SNAPSHOT-B",
		Short: "Show what changed between two snapshots",
		Long: `Diff lists the entries added (+), removed (-), changed in content (M) or type
(T), and with --metadata changed in mode, owner, times or xattrs (U), from
SNAPSHOT-A to SNAPSHOT-B, then counts them with the blobs and bytes added
and removed, as restic's diff does.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withListingLock(cmd.Context(), repo.LockMode{}, func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectTrees(ctx, r, g, args, retention.Filter{})
				if err != nil {
					return err
				}
				return printDiff(ctx, r, g, sns[0], sns[1], args, snapdiff.Options{Metadata: metadata})
			})
		},
	}
	cmd.Flags().BoolVar(&metadata, "metadata", false, "also list entries whose metadata changed")
	return cmd
}

type diffStats struct {
	MessageType    string `json:"message_type"`
	SourceSnapshot string `json:"source_snapshot"`
	TargetSnapshot string `json:"target_snapshot"`
	snapdiff.Stats
}

type diffChange struct {
	MessageType string `json:"message_type"`
	snapdiff.Change
}

// printDiff prints the changes from a to b and their statistics, as
// restic's diff does; refs are the snapshots as given, which --json
// names (restic prints them so).
func printDiff(ctx context.Context, r *repo.Repository, g *globalOptions, a, b repo.Snapshot, refs []string, opts snapdiff.Options) error {
	if !g.json {
		fmt.Fprintf(g.stdout, "comparing snapshot %s to %s:\n\n", a.ID.Str(), b.ID.Str())
	}
	enc := json.NewEncoder(g.stdout)
	stats, err := snapdiff.Diff(ctx, r, *a.Tree, *b.Tree, opts, func(c snapdiff.Change) error {
		if g.json {
			return enc.Encode(diffChange{MessageType: "change", Change: c})
		}
		_, err := fmt.Fprintf(g.stdout, "%-5s%s\n", c.Modifier, quoteName(c.Path))
		return err
	})
	if err != nil {
		return err
	}
	if g.json {
		return enc.Encode(diffStats{MessageType: "statistics", SourceSnapshot: refs[0], TargetSnapshot: refs[1], Stats: stats})
	}
	w := g.stdout
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Files:       %5d new, %5d removed, %5d changed\n", stats.Added.Files, stats.Removed.Files, stats.ChangedFiles)
	fmt.Fprintf(w, "Dirs:        %5d new, %5d removed\n", stats.Added.Dirs, stats.Removed.Dirs)
	fmt.Fprintf(w, "Others:      %5d new, %5d removed\n", stats.Added.Others, stats.Removed.Others)
	fmt.Fprintf(w, "Data Blobs:  %5d new, %5d removed\n", stats.Added.DataBlobs, stats.Removed.DataBlobs)
	fmt.Fprintf(w, "Tree Blobs:  %5d new, %5d removed\n", stats.Added.TreeBlobs, stats.Removed.TreeBlobs)
	fmt.Fprintf(w, "  Added:   %s\n", humanize.Bytes(stats.Added.Bytes, 3))
	fmt.Fprintf(w, "  Removed: %s\n", humanize.Bytes(stats.Removed.Bytes, 3))
	return nil
}
