package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/resticjson"
	"github.com/drydock-backup/drydock/pkg/retention"
)

type findOptions struct {
	filter     retention.Filter
	snapshots  []string
	ignoreCase bool
	long       bool
}

func newFindCommand(g *globalOptions) *cobra.Command {
	var opts findOptions
	cmd := &cobra.Command{
		Use:   "find PATTERN...",
		Short: "Find files and directories in snapshots",
		Long: `Find lists the entries of snapshots that match any PATTERN, as restic's find
does. A pattern without '/' is matched against each entry's name ("*.sql");
one starting with '/' against its whole path ("/var/lib/*/data"); any other
against the end of the path ("db/*.sql"). Patterns use path.Match syntax.
All snapshots are searched unless --snapshot, --host, --tag or --path narrow
them.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pats, err := compileFindPatterns(args, opts.ignoreCase)
			if err != nil {
				return err
			}
			return g.withListingLock(cmd.Context(), treeListingLock, func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectTrees(ctx, r, g, opts.snapshots, opts.filter)
				if err != nil {
					return err
				}
				return runFind(ctx, r, sns, pats, opts, g)
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &opts.filter, "H")
	f.StringArrayVarP(&opts.snapshots, "snapshot", "s", nil, "search only this snapshot (repeatable)")
	f.BoolVarP(&opts.ignoreCase, "ignore-case", "i", false, "ignore case in patterns")
	f.BoolVarP(&opts.long, "long", "l", false, "show mode, owner, size and time")
	return cmd
}

// findPatterns match snapshot paths as the find command's help says.
type findPatterns struct {
	pats       []string
	ignoreCase bool
}

func compileFindPatterns(args []string, ignoreCase bool) (findPatterns, error) {
	fp := findPatterns{ignoreCase: ignoreCase}
	for _, p := range args {
		if ignoreCase {
			p = strings.ToLower(p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fp, fmt.Errorf("pattern %q: %w", p, err)
		}
		fp.pats = append(fp.pats, p)
	}
	return fp, nil
}

func (fp findPatterns) match(p string) bool {
	if fp.ignoreCase {
		p = strings.ToLower(p)
	}
	for _, pat := range fp.pats {
		var ok bool
		switch {
		case strings.HasPrefix(pat, "/"):
			ok, _ = path.Match(pat, p)
		case !strings.Contains(pat, "/"):
			ok, _ = path.Match(pat, path.Base(p))
		default: // the last components of the path
			n := strings.Count(pat, "/") + 1
			parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
			if len(parts) >= n {
				ok, _ = path.Match(pat, strings.Join(parts[len(parts)-n:], "/"))
			}
		}
		if ok {
			return true
		}
	}
	return false
}

type findResult struct {
	Matches  []resticjson.FindNode `json:"matches"`
	Hits     int                   `json:"hits"`
	Snapshot string                `json:"snapshot"`
}

func runFind(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, fp findPatterns, opts findOptions, g *globalOptions) error {
	results := []findResult{}
	for i := len(sns) - 1; i >= 0; i-- { // newest first, as restic
		sn := sns[i]
		res := findResult{Snapshot: sn.ID.String(), Matches: []resticjson.FindNode{}}
		err := walkTree(ctx, r, *sn.Tree, "/", func(p string, n *format.Node) error {
			if !fp.match(p) {
				return nil
			}
			res.Hits++
			if g.json {
				res.Matches = append(res.Matches, resticjson.NewFindNode(p, n))
				return nil
			}
			if res.Hits == 1 {
				fmt.Fprintf(g.stdout, "Found matching entries in snapshot %s from %s\n", sn.ID.Str(), sn.Time.Local().Format(time.DateTime))
			}
			if opts.long {
				_, err := fmt.Fprintf(g.stdout, "%s %5d %5d %6d %s %s\n", n.Mode, n.UID, n.GID, n.Size, n.ModTime.Local().Format(time.DateTime), quoteName(p))
				return err
			}
			_, err := fmt.Fprintln(g.stdout, quoteName(p))
			return err
		})
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
		}
		if res.Hits > 0 {
			results = append(results, res)
			if !g.json {
				fmt.Fprintln(g.stdout)
			}
		}
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(results)
	}
	return nil
}
