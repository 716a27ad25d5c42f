package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/resticjson"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// snapshotsOptions are restic's snapshots flags.
type snapshotsOptions struct {
	filter  retention.Filter
	latest  int
	compact bool
	groupBy retention.GroupBy
}

func newSnapshotsCommand(g *globalOptions) *cobra.Command {
	var opts snapshotsOptions
	cmd := &cobra.Command{
		Use:   "snapshots [SNAPSHOT...]",
		Short: "List snapshots (all, or those named, of the --host/--tag/--path given)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.latest < 0 {
				return fmt.Errorf("--latest %d: want a number of snapshots, 1 or more", opts.latest)
			}
			return g.withListingLock(cmd.Context(), treeListingLock, func(ctx context.Context, r *repo.Repository) error {
				return runSnapshots(ctx, r, g, args, opts)
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &opts.filter, "H")
	f.IntVar(&opts.latest, "latest", 0, "show only the last `n` snapshots of each host and paths")
	f.BoolVarP(&opts.compact, "compact", "c", false, "leave out the paths column")
	f.VarP(&opts.groupBy, "group-by", "g", "list the snapshots in groups by `fields`: host, paths and/or tags, comma-separated")
	return cmd
}

func runSnapshots(ctx context.Context, r *repo.Repository, g *globalOptions, refs []string, opts snapshotsOptions) error {
	sns, err := selectSnapshots(ctx, r, g, refs, opts.filter)
	if err != nil {
		return err
	}
	groups := opts.groupBy.Split(sns)
	for i := range groups {
		if opts.latest > 0 {
			groups[i].Snapshots = latestOfEach(groups[i].Snapshots, opts.latest)
		}
	}
	if g.json && opts.groupBy == (retention.GroupBy{}) {
		var all []repo.Snapshot
		for _, grp := range groups {
			all = append(all, grp.Snapshots...)
		}
		return json.NewEncoder(g.stdout).Encode(resticjson.Snapshots(all))
	}
	if g.json {
		out := make([]snapshotGroupJSON, len(groups))
		for i, grp := range groups {
			out[i] = snapshotGroupJSON{Key: grp.Key, Snapshots: resticjson.Snapshots(grp.Snapshots)}
		}
		return json.NewEncoder(g.stdout).Encode(out)
	}
	if len(groups) == 0 {
		groups = []retention.Group{{}} // an empty table says there are none
	}
	for _, grp := range groups {
		if head := describeGroup(opts.groupBy, grp.Key); head != "" {
			fmt.Fprintf(g.stdout, "snapshots for (%s):\n", head)
		}
		if err := printSnapshotTable(g.stdout, newestFirst(grp.Snapshots), nil, false, opts.compact); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%d snapshots\n", len(grp.Snapshots))
	}
	return nil
}

// snapshotGroupJSON is an element of restic's snapshots --json --group-by.
type snapshotGroupJSON struct {
	Key       retention.GroupKey    `json:"group_key"`
	Snapshots []resticjson.Snapshot `json:"snapshots"`
}

// latestOfEach keeps the n newest snapshots of each host and set of paths
// of a group (restic's --latest, within each group --group-by makes),
// oldest first.
func latestOfEach(sns []repo.Snapshot, n int) []repo.Snapshot {
	var keep []repo.Snapshot
	for _, grp := range retention.DefaultGroupBy.Split(sns) {
		keep = append(keep, newestFirst(grp.Snapshots)[:min(n, len(grp.Snapshots))]...)
	}
	slices.SortStableFunc(keep, func(a, b repo.Snapshot) int { return a.Time.Compare(b.Time) })
	return keep
}

// newestFirst returns sns, oldest first, the other way round.
func newestFirst(sns []repo.Snapshot) []repo.Snapshot {
	out := slices.Clone(sns)
	slices.Reverse(out)
	return out
}
