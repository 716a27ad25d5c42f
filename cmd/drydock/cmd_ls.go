package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

type lsOptions struct {
	long      bool
	recursive bool
	ncdu      bool
	sort      lsSort
	reverse   bool
	filter    retention.Filter
}

func newLsCommand(g *globalOptions) *cobra.Command {
	var opts lsOptions
	cmd := &cobra.Command{
		Use:   "ls SNAPSHOT[:SUBFOLDER] [DIR...]",
		Short: "List the files of a snapshot (SNAPSHOT is an ID, a prefix of one, or latest)",
		Long: `Ls lists the files and folders of a snapshot, all of them without DIR. With
one or more DIRs (absolute paths in the snapshot), it lists each DIR and what
is directly in it, or with --recursive everything below it, as restic does.
SNAPSHOT:SUBFOLDER lists the folder SUBFOLDER of the snapshot as if it were
the snapshot's root. --host, --tag and --path narrow the snapshots "latest"
picks from.

--sort orders the listing by name (the default: each folder's entries by
name, depth first), size, time (mtime), atime, ctime, extension or inode,
ties by path; --reverse turns it round. --ncdu writes ncdu's export format
instead, for "drydock ls --ncdu latest | ncdu -f -".`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, err := lsDirs(args[1:])
			if err != nil {
				return err
			}
			if err := opts.check(g); err != nil {
				return err
			}
			return g.withListingLock(cmd.Context(), treeListingLock, func(ctx context.Context, r *repo.Repository) error {
				return runLs(ctx, r, opts, g, args[0], dirs)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.long, "long", "l", false, "show mode, owner, size and time")
	f.BoolVar(&opts.recursive, "recursive", false, "with DIRs, list everything below them, not only what is directly in them")
	f.BoolVar(&opts.ncdu, "ncdu", false, "write ncdu's JSON export format (pipe into 'ncdu -f -')")
	f.VarP(&opts.sort, "sort", "s", "sort by `name`, size, time (mtime), atime, ctime, extension or inode")
	f.BoolVar(&opts.reverse, "reverse", false, "reverse the order")
	addSnapshotFilterFlags(f, &opts.filter, "H")
	return cmd
}

// check refuses flags that cannot go together, as restic does.
func (o lsOptions) check(g *globalOptions) error {
	switch {
	case o.ncdu && g.json:
		return errors.New("ls: --ncdu and --json are different output formats: give one")
	case o.ncdu && !o.sort.byName():
		return errors.New("ls: --ncdu cannot be sorted: ncdu sorts itself (drop --sort)")
	case o.ncdu && o.reverse:
		return errors.New("ls: --ncdu cannot be reversed: ncdu sorts itself (drop --reverse)")
	}
	return nil
}

// lsDirs checks and cleans ls's DIR arguments: paths in a snapshot are
// absolute, and a relative one is a mistake to report, not to guess at.
func lsDirs(args []string) ([]string, error) {
	dirs := make([]string, len(args))
	for i, a := range args {
		if !strings.HasPrefix(a, "/") {
			return nil, fmt.Errorf("ls: %q is not an absolute path: a DIR names a folder in the snapshot from its root, for example /etc", a)
		}
		dirs[i] = path.Clean(a)
	}
	return dirs, nil
}

func (o lsOptions) printer(g *globalOptions, dirs []string) lsPrinter {
	var p lsPrinter
	switch {
	case g.json:
		p = &lsJSONPrinter{enc: json.NewEncoder(g.stdout)}
	case o.ncdu:
		return &lsNcduPrinter{w: g.stdout}
	default:
		p = &lsTextPrinter{w: g.stdout, long: o.long, dirs: dirs}
	}
	if !o.sort.byName() || o.reverse {
		p = &lsSortedPrinter{lsPrinter: p, by: o.sort, reverse: o.reverse}
	}
	return p
}

func runLs(ctx context.Context, r *repo.Repository, opts lsOptions, g *globalOptions, arg string, dirs []string) error {
	sn, tree, err := findSnapshotDir(ctx, r, g, arg, opts.filter)
	if err != nil {
		return err
	}
	// With a SUBFOLDER the snapshot printed is the subfolder's, as
	// restic's: its tree is the subfolder's tree.
	shown := *sn.Snapshot
	shown.Tree = &tree
	p := opts.printer(g, dirs)
	if err := p.snapshot(repo.Snapshot{ID: sn.ID, Snapshot: &shown}); err != nil {
		return err
	}
	sel := lsSelection{dirs: dirs, recursive: opts.recursive}
	if err := walkLs(ctx, r, tree, "/", sel, p); err != nil {
		return err
	}
	return p.close()
}

// walkLs hands p the nodes of tree (at dir) that sel lists, and the
// folders on the way to them as prefixes, depth first; a folder given to
// p is left once its contents, if read, are done.
func walkLs(ctx context.Context, r *repo.Repository, tree format.ID, dir string, sel lsSelection, p lsPrinter) error {
	t, err := r.LoadTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		np := path.Join(dir, n.Name)
		listed, descend := sel.lists(np), sel.descend(np)
		if !listed && !descend {
			continue
		}
		if err := p.node(np, n, !listed); err != nil {
			return err
		}
		if n.Type != format.NodeDir {
			continue
		}
		if descend && n.Subtree != nil {
			if err := walkLs(ctx, r, *n.Subtree, np, sel, p); err != nil {
				return err
			}
		}
		if err := p.leave(np); err != nil {
			return err
		}
	}
	return nil
}

// lsSelection is what ls lists of a snapshot given its DIRs (clean,
// absolute): with none, everything; else each DIR, what is directly in
// it, and with recursive everything below it. Only folders on the way to
// a DIR, or inside one as far as it lists, are read.
type lsSelection struct {
	dirs      []string
	recursive bool
}

func (s lsSelection) lists(p string) bool {
	if len(s.dirs) == 0 {
		return true
	}
	for _, d := range s.dirs {
		if p == d || (s.recursive && below(p, d)) || path.Dir(p) == d {
			return true
		}
	}
	return false
}

// descend says whether ls reads the folder at p: one on the way to a DIR,
// a DIR itself, or below one with recursive.
func (s lsSelection) descend(p string) bool {
	if len(s.dirs) == 0 {
		return true
	}
	for _, d := range s.dirs {
		if p == d || below(d, p) || (s.recursive && below(p, d)) {
			return true
		}
	}
	return false
}

// below says whether p is strictly inside dir; both are clean and absolute.
func below(p, dir string) bool {
	return dir == "/" && p != "/" || strings.HasPrefix(p, dir+"/")
}

// walkTree calls fn for every node below tree in depth-first order, with
// its absolute path in the snapshot.
func walkTree(ctx context.Context, r *repo.Repository, tree format.ID, dir string, fn func(p string, n *format.Node) error) error {
	return walkTreeWhere(ctx, r, tree, dir, func(string) bool { return true }, fn)
}

// walkTreeWhere is walkTree that reads only the folders descend accepts;
// fn still sees every node of the folders read.
func walkTreeWhere(ctx context.Context, r *repo.Repository, tree format.ID, dir string, descend func(p string) bool, fn func(p string, n *format.Node) error) error {
	t, err := r.LoadTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		p := path.Join(dir, n.Name)
		if err := fn(p, n); err != nil {
			return err
		}
		if n.Type == format.NodeDir && n.Subtree != nil && descend(p) {
			if err := walkTreeWhere(ctx, r, *n.Subtree, p, descend, fn); err != nil {
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
