package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

func newSnapshotsCommand(g *globalOptions) *cobra.Command {
	var filter retention.Filter
	cmd := &cobra.Command{
		Use:   "snapshots [SNAPSHOT...]",
		Short: "List snapshots (all, or those named, of the --host/--tag/--path given)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runSnapshots(ctx, r, g, args, filter)
			})
		},
	}
	addSnapshotFilterFlags(cmd.Flags(), &filter, "H")
	return cmd
}

// snapshotJSON is restic's `snapshots --json` element: the document plus
// its ID and short ID.
type snapshotJSON struct {
	repo.Snapshot
	ID      string `json:"id"`
	ShortID string `json:"short_id"`
}

func (s snapshotJSON) MarshalJSON() ([]byte, error) {
	doc, err := json.Marshal(s.Snapshot.Snapshot)
	if err != nil {
		return nil, err
	}
	extra := fmt.Sprintf(`,"id":%q,"short_id":%q}`, s.ID, s.ShortID)
	return append(doc[:len(doc)-1], extra...), nil
}

func runSnapshots(ctx context.Context, r *repo.Repository, g *globalOptions, refs []string, f retention.Filter) error {
	sns, err := selectSnapshots(ctx, r, g, refs, f)
	if err != nil {
		return err
	}
	if g.json {
		out := make([]snapshotJSON, len(sns))
		for i, sn := range sns {
			out[i] = snapshotJSON{Snapshot: sn, ID: sn.ID.String(), ShortID: sn.ID.Str()}
		}
		return json.NewEncoder(g.stdout).Encode(out)
	}
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTime\tHost\tTags\tPaths")
	for _, sn := range sns {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", sn.ID.Str(), sn.Time.Local().Format(time.DateTime),
			sn.Hostname, strings.Join(sn.Tags, ","), strings.Join(sn.Paths, ","))
	}
	fmt.Fprintf(w, "%d snapshots\n", len(sns))
	return w.Flush()
}
