package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/resticjson"
	"github.com/drydock-backup/drydock/pkg/retention"
)

type lsOptions struct {
	long bool
}

func newLsCommand(g *globalOptions) *cobra.Command {
	var opts lsOptions
	cmd := &cobra.Command{
		Use:   "ls SNAPSHOT [PATH]",
		Short: "List the files of a snapshot (SNAPSHOT is an ID, a prefix of one, or latest)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runLs(ctx, r, opts, g, args)
			})
		},
	}
	cmd.Flags().BoolVarP(&opts.long, "long", "l", false, "show mode, owner, size and time")
	return cmd
}

func runLs(ctx context.Context, r *repo.Repository, opts lsOptions, g *globalOptions, args []string) error {
	sn, err := findSnapshot(ctx, r, g, args[0], retention.Filter{})
	if err != nil {
		return err
	}
	filter := ""
	if len(args) == 2 {
		filter = path.Clean("/" + args[1])
	}
	enc := json.NewEncoder(g.stdout)
	if g.json {
		if err := enc.Encode(resticjson.NewSnapshot(sn)); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.stdout, "snapshot %s of %v at %s:\n", sn.ID.Str(), quoteNames(sn.Paths), sn.Time.Local().Format(time.RFC3339))
	}
	return walkTree(ctx, r, *sn.Tree, "/", func(p string, n *format.Node) error {
		if filter != "" && p != filter && !strings.HasPrefix(p, strings.TrimSuffix(filter, "/")+"/") {
			return nil
		}
		switch {
		case g.json:
			return enc.Encode(resticjson.NewLsNode(p, n))
		case opts.long:
			_, err := fmt.Fprintf(g.stdout, "%s %5d %5d %12d %s %s\n", n.Mode, n.UID, n.GID, n.Size, n.ModTime.Local().Format(time.DateTime), quoteName(p))
			return err
		default:
			_, err := fmt.Fprintln(g.stdout, quoteName(p))
			return err
		}
	})
}

// walkTree calls fn for every node below tree in depth-first order, with
// its absolute path in the snapshot.
func walkTree(ctx context.Context, r *repo.Repository, tree format.ID, dir string, fn func(p string, n *format.Node) error) error {
	t, err := r.LoadTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		p := path.Join(dir, n.Name)
		if err := fn(p, n); err != nil {
			return err
		}
		if n.Type == format.NodeDir && n.Subtree != nil {
			if err := walkTree(ctx, r, *n.Subtree, p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// quoteName returns name as is if it is valid UTF-8 of printable
// characters, else Go-quoted ("a\x1b[31m\n"): file names are arbitrary
// bytes, and printed raw a newline would forge a line and an escape
// sequence would reach the terminal. restic 0.15 and later quote names in
// their backup output like this; --json output needs none (JSON escapes).
func quoteName(name string) string {
	if !utf8.ValidString(name) {
		return strconv.Quote(name)
	}
	for _, r := range name {
		if !strconv.IsPrint(r) {
			return strconv.Quote(name)
		}
	}
	return name
}

func quoteNames(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteName(n)
	}
	return q
}
