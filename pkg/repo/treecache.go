package repo

import (
	"container/list"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// treeCache keeps decoded trees, least recently used out first, within a
// memory budget. Trees are content-addressed, so an entry is never stale.
type treeCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // of *treeEntry, most recent at the front
	byID  map[format.ID]*list.Element
}

type treeEntry struct {
	id   format.ID
	tree *format.Tree
	cost int64
}

// newTreeCache returns a cache of max bytes; max <= 0 gives a cache that
// keeps nothing.
func newTreeCache(max int64) *treeCache {
	return &treeCache{max: max, order: list.New(), byID: map[format.ID]*list.Element{}}
}

// treeCost estimates the memory of a decoded tree: its JSON size plus the
// per-node overhead of the structs, maps and slices it decodes into.
func treeCost(jsonLen, nodes int) int64 { return int64(jsonLen) + 256*int64(nodes) }

func (c *treeCache) get(id format.ID) (*format.Tree, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*treeEntry).tree, true
}

func (c *treeCache) put(id format.ID, t *format.Tree, cost int64) {
	if c.max <= 0 || cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		return
	}
	c.byID[id] = c.order.PushFront(&treeEntry{id: id, tree: t, cost: cost})
	c.used += cost
	for c.used > c.max {
		e := c.order.Back()
		te := e.Value.(*treeEntry)
		c.order.Remove(e)
		delete(c.byID, te.id)
		c.used -= te.cost
	}
}
