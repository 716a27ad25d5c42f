package walk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/walk"
)

// want is what a visit must see of one tree.
type want struct {
	path    string // "" if the tree is reached from several places
	damaged bool   // visit gets an error
	is      error  // which the error wraps, if set
}

// visit is what a visit saw of one tree.
type visit struct {
	snapshot format.ID
	path     string
	err      error
}

// record collects the visits of a walk and counts trees visited twice.
type record struct {
	mu     sync.Mutex
	seen   map[format.ID]visit
	repeat int
}

func (rc *record) visit(_ context.Context, t *walk.Tree, err error) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.seen[t.ID]; ok {
		rc.repeat++
	}
	if (err == nil) != (t.Tree != nil) {
		return fmt.Errorf("tree %v: err %v with decoded tree %v", t.ID.Str(), err, t.Tree != nil)
	}
	rc.seen[t.ID] = visit{snapshot: t.Snapshot, path: t.Path, err: err}
	return nil
}

// saveRaw stores data as a tree blob, decodable or not, and returns its ID.
func saveRaw(t *testing.T, r *repo.Repository, data string) format.ID {
	t.Helper()
	var id format.ID
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		id, _, err = s.SaveBlob(ctx, format.TreeBlob, []byte(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	return id
}

// leaf returns a tree of its own: a file whose content names it.
func leaf(c *repotest.Craft, name string) *format.ID {
	return c.Tree(c.File("f", 0o644, "content of "+name))
}

func TestWalk(t *testing.T) {
	snapA, snapB := format.Hash([]byte("snapshot A")), format.Hash([]byte("snapshot B"))
	absent := format.Hash([]byte("a tree that was never stored"))
	tests := []struct {
		name    string
		workers int
		// build stores the trees and returns the roots and, by tree, what
		// the visit must see; every other tree must not be visited.
		build func(t *testing.T, r *repo.Repository) ([]walk.Root, map[format.ID]want)
	}{{
		name: "no roots",
		build: func(*testing.T, *repo.Repository) ([]walk.Root, map[format.ID]want) {
			return nil, map[format.ID]want{}
		},
	}, {
		name:    "shared trees once, subdirectories by path",
		workers: 3,
		build: func(t *testing.T, r *repo.Repository) ([]walk.Root, map[format.ID]want) {
			var shared, onlyA, onlyB, rootA, rootB format.ID
			repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
				shared = *leaf(c, "shared")
				onlyA = *c.Tree(c.Dir("s", 0o755, &shared), c.File("g", 0o644, "only A"))
				onlyB = *leaf(c, "only B")
				rootA = *c.Tree(c.Dir("a", 0o755, &onlyA), c.Dir("s", 0o755, &shared))
				rootB = *c.Tree(c.Dir("b", 0o755, &onlyB), c.Dir("s", 0o755, &shared))
				return &rootA
			})
			roots := []walk.Root{{Snapshot: snapA, Tree: rootA}, {Snapshot: snapB, Tree: rootB}, {Snapshot: snapB, Tree: rootA}}
			return roots, map[format.ID]want{
				rootA: {path: "/"}, rootB: {path: "/"},
				onlyA: {path: "/a"}, onlyB: {path: "/b"},
				shared: {}, // reached from three places; any of them
			}
		},
	}, {
		name:    "damaged trees reported, the rest walked",
		workers: 2,
		build: func(t *testing.T, r *repo.Repository) ([]walk.Root, map[format.ID]want) {
			garbage := saveRaw(t, r, "this is not a tree")
			var sibling, below, root format.ID
			repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
				below = *leaf(c, "below")
				sibling = *c.Tree(c.Dir("deeper", 0o755, &below))
				root = *c.Tree(c.Dir("gone", 0o755, &absent), c.Dir("junk", 0o755, &garbage),
					c.Dir("ok", 0o755, &sibling), c.File("f", 0o644, "root file"))
				return &root
			})
			return []walk.Root{{Snapshot: snapA, Tree: root}}, map[format.ID]want{
				root: {path: "/"}, sibling: {path: "/ok"}, below: {path: "/ok/deeper"},
				absent:  {path: "/gone", damaged: true, is: repo.ErrBlobNotFound},
				garbage: {path: "/junk", damaged: true},
			}
		},
	}, {
		name:    "missing root",
		workers: 1,
		build: func(*testing.T, *repo.Repository) ([]walk.Root, map[format.ID]want) {
			return []walk.Root{{Snapshot: snapA, Tree: absent}}, map[format.ID]want{
				absent: {path: "/", damaged: true, is: repo.ErrBlobNotFound},
			}
		},
	}, {
		name:    "deep tree with one worker does not deadlock",
		workers: 1,
		build:   deep(snapA),
	}, {
		name:    "deep tree with two workers does not deadlock",
		workers: 2,
		build:   deep(snapA),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := repotest.New(t, 2, repo.Options{})
			roots, wants := tt.build(t, r)
			rc := &record{seen: map[format.ID]visit{}}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if err := walk.Walk(ctx, roots, tt.workers, r.LoadTree, rc.visit); err != nil {
				t.Fatalf("Walk: %v", err)
			}
			if rc.repeat != 0 {
				t.Errorf("%d trees visited more than once", rc.repeat)
			}
			for id, w := range wants {
				got, ok := rc.seen[id]
				switch {
				case !ok:
					t.Errorf("tree %v (%s) not visited", id.Str(), w.path)
					continue
				case w.path != "" && got.path != w.path:
					t.Errorf("tree %v: path %q, want %q", id.Str(), got.path, w.path)
				case (got.err != nil) != w.damaged:
					t.Errorf("tree %v (%s): error %v, want damaged=%v", id.Str(), w.path, got.err, w.damaged)
				case w.is != nil && !errors.Is(got.err, w.is):
					t.Errorf("tree %v (%s): error %v does not wrap %v", id.Str(), w.path, got.err, w.is)
				}
				if ok && got.snapshot.IsNull() {
					t.Errorf("tree %v: no snapshot", id.Str())
				}
			}
			for id, got := range rc.seen {
				if _, ok := wants[id]; !ok {
					t.Errorf("tree %v (%s) visited but not reachable", id.Str(), got.path)
				}
			}
		})
	}
}

// deep builds a chain of 300 nested directories, so that the walk must
// visit subtrees in the walking goroutine when all workers are busy.
func deep(snap format.ID) func(*testing.T, *repo.Repository) ([]walk.Root, map[format.ID]want) {
	return func(t *testing.T, r *repo.Repository) ([]walk.Root, map[format.ID]want) {
		const depth = 300
		var ids []format.ID // bottom first
		repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
			id := leaf(c, "bottom")
			ids = append(ids, *id)
			for range depth {
				id = c.Tree(c.Dir("d", 0o755, id))
				ids = append(ids, *id)
			}
			return id
		})
		wants := map[format.ID]want{}
		for i, id := range ids {
			wants[id] = want{path: "/" + strings.TrimSuffix(strings.Repeat("d/", depth-i), "/")}
		}
		return []walk.Root{{Snapshot: snap, Tree: ids[depth]}}, wants
	}
}

// wide stores a root with n subdirectories, each its own tree, and returns
// the root and the subtrees.
func wide(t *testing.T, r *repo.Repository, n int) (format.ID, []format.ID) {
	t.Helper()
	var subs []format.ID
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		var nodes []string
		for i := range n {
			name := fmt.Sprintf("dir%03d", i)
			sub := leaf(c, name)
			subs = append(subs, *sub)
			nodes = append(nodes, c.Dir(name, 0o755, sub))
		}
		return c.Tree(nodes...)
	})
	return root, subs
}

// TestWalkStopsOnVisitError: an error from visit ends the walk with that
// error and the failed tree's subtrees are not walked.
func TestWalkStopsOnVisitError(t *testing.T) {
	r, _ := repotest.New(t, 2, repo.Options{})
	var stop, below format.ID
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		below = *leaf(c, "below")
		stop = *c.Tree(c.Dir("below", 0o755, &below))
		return c.Tree(c.Dir("stop", 0o755, &stop))
	})
	errStop := errors.New("stop here")
	var visitedBelow atomic.Bool
	err := walk.Walk(t.Context(), []walk.Root{{Tree: root}}, 2, r.LoadTree, func(_ context.Context, tr *walk.Tree, err error) error {
		switch {
		case err != nil:
			return err
		case tr.ID == stop:
			return fmt.Errorf("tree %s: %w", tr.Path, errStop)
		case tr.ID == below:
			visitedBelow.Store(true)
		}
		return nil
	})
	if !errors.Is(err, errStop) || !strings.Contains(err.Error(), "tree /stop:") {
		t.Fatalf("Walk: %v, want the visit's error", err)
	}
	if visitedBelow.Load() {
		t.Error("the subtree of the tree whose visit failed was walked")
	}
}

// TestWalkCancelled: a cancelled context ends the walk with its error, and
// loads that failed because of it are not reported to visit as damage.
func TestWalkCancelled(t *testing.T) {
	r, _ := repotest.New(t, 2, repo.Options{})
	root, _ := wide(t, r, 40)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var loads atomic.Int64
	load := func(ctx context.Context, id format.ID) (*format.Tree, error) {
		if loads.Add(1) == 5 {
			cancel()
		}
		return r.LoadTree(ctx, id)
	}
	var visits, damaged atomic.Int64
	err := walk.Walk(ctx, []walk.Root{{Tree: root}}, 3, load, func(_ context.Context, _ *walk.Tree, err error) error {
		visits.Add(1)
		if err != nil {
			damaged.Add(1)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Walk: %v, want context.Canceled", err)
	}
	if n := damaged.Load(); n != 0 {
		t.Errorf("%d trees reported damaged after the cancel", n)
	}
	if n := visits.Load(); n >= 41 {
		t.Errorf("%d trees visited, the walk went on after the cancel", n)
	}
}

// TestWalkConcurrency: loads run in parallel up to the worker limit and
// never beyond it.
func TestWalkConcurrency(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			r, _ := repotest.New(t, 2, repo.Options{})
			root, subs := wide(t, r, 24)
			var inFlight, peak atomic.Int64
			full := make(chan struct{}) // closed once workers loads run at once
			var once sync.Once
			load := func(ctx context.Context, id format.ID) (*format.Tree, error) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				if n >= int64(workers) {
					once.Do(func() { close(full) })
				}
				// Hold the first loads below the root until the limit is
				// reached, so that a walk that serialised them is caught.
				if id != root {
					select {
					case <-full:
					case <-time.After(5 * time.Second):
						once.Do(func() { close(full) }) // wait once, not per load
					}
				}
				return r.LoadTree(ctx, id)
			}
			rc := &record{seen: map[format.ID]visit{}}
			if err := walk.Walk(t.Context(), []walk.Root{{Tree: root}}, workers, load, rc.visit); err != nil {
				t.Fatal(err)
			}
			if got := peak.Load(); got != int64(workers) {
				t.Errorf("at most %d loads at once, want %d", got, workers)
			}
			if len(rc.seen) != len(subs)+1 {
				t.Errorf("%d trees visited, want %d", len(rc.seen), len(subs)+1)
			}
		})
	}
}

// TestWalkLoaderWithoutTree: a loader breaking its contract (no tree and no
// error) reaches visit as an error, never as a nil tree to dereference.
func TestWalkLoaderWithoutTree(t *testing.T) {
	r, _ := repotest.New(t, 2, repo.Options{})
	root, _ := wide(t, r, 3)
	load := func(ctx context.Context, id format.ID) (*format.Tree, error) {
		if id == root {
			return r.LoadTree(ctx, id)
		}
		return nil, nil
	}
	rc := &record{seen: map[format.ID]visit{}}
	if err := walk.Walk(t.Context(), []walk.Root{{Tree: root}}, 2, load, rc.visit); err != nil {
		t.Fatal(err)
	}
	if len(rc.seen) != 4 {
		t.Fatalf("%d trees visited, want 4", len(rc.seen))
	}
	for id, v := range rc.seen {
		if id != root && (v.err == nil || !strings.Contains(v.err.Error(), "no tree")) {
			t.Errorf("tree %v: visit got error %v, want 'loader returned no tree'", id.Str(), v.err)
		}
	}
}

// TestWalkMoreRootsThanWorkers: roots beyond the worker limit wait for a
// slot instead of being dropped, and a tree shared by roots is visited once.
func TestWalkMoreRootsThanWorkers(t *testing.T) {
	r, _ := repotest.New(t, 2, repo.Options{})
	var roots []walk.Root
	var shared format.ID
	for i := range 9 {
		root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
			shared = *leaf(c, "shared")
			return c.Tree(c.Dir("shared", 0o755, &shared), c.Dir("own", 0o755, leaf(c, fmt.Sprint("own ", i))))
		})
		roots = append(roots, walk.Root{Snapshot: root, Tree: root})
	}
	rc := &record{seen: map[format.ID]visit{}}
	if err := walk.Walk(t.Context(), roots, 2, r.LoadTree, rc.visit); err != nil {
		t.Fatal(err)
	}
	if rc.repeat != 0 {
		t.Errorf("%d trees visited twice", rc.repeat)
	}
	if want := 9*2 + 1; len(rc.seen) != want {
		t.Errorf("%d trees visited, want %d (9 roots, 9 own leaves, 1 shared)", len(rc.seen), want)
	}
	if _, ok := rc.seen[shared]; !ok {
		t.Error("the shared tree was not visited")
	}
}
