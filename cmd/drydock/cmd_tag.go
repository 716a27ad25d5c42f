package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snapedit"
)

func newTagCommand(g *globalOptions) *cobra.Command {
	var filter retention.Filter
	var set, add, remove retention.TagLists
	cmd := &cobra.Command{
		Use:   "tag [--add T] [--remove T] [--set T] [SNAPSHOT...]",
		Short: "Change the tags of snapshots (those named, or all that --host/--tag/--path select), as restic's tag",
		Long: `Tag adds tags to snapshots (--add), removes some (--remove) or replaces them
all (--set; --set '' removes every tag). Each flag takes tag[,tag...] and may
be repeated. A changed snapshot gets a new ID: it is written anew, naming its
first version in "original", and the old file is removed. A snapshot named
that does not exist is an error, and nothing is changed.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := snapedit.Change{Replace: cmd.Flags().Changed("set"), Set: flatten(set), Add: flatten(add), Remove: flatten(remove)}
			if err := c.Validate(); err != nil {
				return err
			}
			return g.withLockMode(cmd.Context(), deleting(true), func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectSnapshots(ctx, r, g, args, filter)
				if err != nil {
					return err
				}
				done, err := snapedit.Tags(ctx, r, sns, c)
				if len(done) == 0 && err == nil {
					fmt.Fprintln(g.stdout, "no snapshots were modified")
				} else if len(done) > 0 {
					fmt.Fprintf(g.stdout, "modified tags on %d snapshots\n", len(done))
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &filter, "H")
	f.Var(&add, "add", "add the tags `tag[,tag...]` (repeatable)")
	f.Var(&remove, "remove", "remove the tags `tag[,tag...]` (repeatable)")
	f.Var(&set, "set", "replace every tag with `tag[,tag...]` (repeatable; '' for none)")
	return cmd
}

// flatten joins tag lists into one list of tags.
func flatten(ls retention.TagLists) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l...)
	}
	return slices.DeleteFunc(out, func(t string) bool { return t == "" })
}
