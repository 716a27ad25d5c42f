package walk

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Root is where a walk starts: a snapshot and its root tree.
type Root struct {
	Snapshot format.ID
	Tree     format.ID
}

// Tree is a tree as the walk reached it.
type Tree struct {
	ID format.ID
	// Snapshot and Path say where the walk first reached the tree: the
	// snapshot and the directory in it ("/" for the root). A tree shared
	// by several directories or snapshots is visited once, at one of them.
	Snapshot format.ID
	Path     string
	// Tree is the decoded tree; nil when the visit gets an error.
	Tree *format.Tree
}

// LoadFunc loads and decodes a tree blob. Repository.LoadTree is one.
type LoadFunc func(ctx context.Context, id format.ID) (*format.Tree, error)

// VisitFunc is called once for every distinct tree, from several
// goroutines at once. err is the load error when the tree could not be
// loaded or decoded; t.Tree is then nil. Returning nil continues the walk
// (after an error, with the other trees; otherwise also into t's
// subdirectories); returning an error stops it and Walk returns the error.
type VisitFunc func(ctx context.Context, t *Tree, err error) error

// Walk visits every tree reachable from roots, each once, with at most
// workers loads and visits at a time (0 means GOMAXPROCS). It descends
// into every directory node that has a subtree ID; a directory without one
// is left to visit to judge. Walk returns the first error a visit returned,
// or ctx's error if ctx ended first; a load that fails because ctx ended is
// not passed to visit.
func Walk(ctx context.Context, roots []Root, workers int, load LoadFunc, visit VisitFunc) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	w := &walker{g: g, load: load, visit: visit}
	for _, r := range roots {
		if w.first(r.Tree) {
			g.Go(func() error { return w.tree(gctx, r.Tree, r.Snapshot, "/") })
		}
	}
	return g.Wait()
}

type walker struct {
	g       *errgroup.Group
	load    LoadFunc
	visit   VisitFunc
	visited sync.Map // format.ID → struct{}
}

// first reports whether id is seen for the first time.
func (w *walker) first(id format.ID) bool {
	_, seen := w.visited.LoadOrStore(id, struct{}{})
	return !seen
}

// tree loads and visits one tree, then walks its subtrees.
func (w *walker) tree(ctx context.Context, id, snap format.ID, p string) error {
	t, err := w.load(ctx, id)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		t = nil
	} else if t == nil {
		// A loader's contract is a tree or an error; without this the
		// visitors would dereference nil.
		err = fmt.Errorf("tree %v: loader returned no tree", id.Str())
	}
	if err := w.visit(ctx, &Tree{ID: id, Snapshot: snap, Path: p, Tree: t}, err); err != nil || t == nil {
		return err
	}
	for _, n := range t.Nodes {
		if n.Type != format.NodeDir || n.Subtree == nil || n.Subtree.IsNull() || !w.first(*n.Subtree) {
			continue
		}
		sub, child := *n.Subtree, path.Join(p, n.Name)
		task := func() error { return w.tree(ctx, sub, snap, child) }
		if w.g.TryGo(task) {
			continue
		}
		if err := task(); err != nil {
			return err
		}
	}
	return nil
}
