package main

import (
	"cmp"
	"fmt"
	"path"
	"slices"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// lsSort is ls's --sort: by what the listed nodes are ordered, ties by
// path. "name" keeps the walk's order (each folder's entries by name,
// depth first), as restic's does.
type lsSort string

// lsSortKeys lists --sort's values: restic 0.19's, "time" for mtime, and
// drydock's inode.
var lsSortKeys = map[string]func(a, b *format.Node) int{
	"name":      nil,
	"size":      func(a, b *format.Node) int { return cmp.Compare(a.Size, b.Size) },
	"time":      func(a, b *format.Node) int { return a.ModTime.Compare(b.ModTime) },
	"mtime":     func(a, b *format.Node) int { return a.ModTime.Compare(b.ModTime) },
	"atime":     func(a, b *format.Node) int { return a.AccessTime.Compare(b.AccessTime) },
	"ctime":     func(a, b *format.Node) int { return a.ChangeTime.Compare(b.ChangeTime) },
	"extension": func(a, b *format.Node) int { return cmp.Compare(path.Ext(a.Name), path.Ext(b.Name)) },
	"inode":     func(a, b *format.Node) int { return cmp.Compare(a.Inode, b.Inode) },
}

func (s *lsSort) String() string {
	if *s == "" {
		return "name"
	}
	return string(*s)
}

func (s *lsSort) Set(v string) error {
	if _, ok := lsSortKeys[v]; !ok {
		return fmt.Errorf("unknown sort %q: want name, size, time (mtime), atime, ctime, extension or inode", v)
	}
	*s = lsSort(v)
	return nil
}

func (s *lsSort) Type() string { return "order" }

// byName tells whether s keeps the walk's order.
func (s lsSort) byName() bool { return s == "" || s == "name" }

// lsSortedPrinter collects the listed nodes and hands them to the printer in
// order when the walk is done; folders on the way to a DIR are dropped,
// as no sorted output shows them.
type lsSortedPrinter struct {
	lsPrinter
	by      lsSort
	reverse bool
	nodes   []lsItem
}

type lsItem struct {
	path string
	node *format.Node
}

func (l *lsSortedPrinter) snapshot(sn repo.Snapshot) error { return l.lsPrinter.snapshot(sn) }

func (l *lsSortedPrinter) node(p string, n *format.Node, prefix bool) error {
	if !prefix {
		l.nodes = append(l.nodes, lsItem{p, n})
	}
	return nil
}

func (l *lsSortedPrinter) leave(string) error { return nil }

func (l *lsSortedPrinter) close() error {
	if by := lsSortKeys[string(l.by)]; by != nil {
		slices.SortStableFunc(l.nodes, func(a, b lsItem) int {
			return cmp.Or(by(a.node, b.node), cmp.Compare(a.path, b.path))
		})
	}
	if l.reverse {
		slices.Reverse(l.nodes)
	}
	for _, it := range l.nodes {
		if err := l.lsPrinter.node(it.path, it.node, false); err != nil {
			return err
		}
	}
	return l.lsPrinter.close()
}
