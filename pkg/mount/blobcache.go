package mount

import (
	"container/list"
	"context"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// blobCacheSize is restic's: enough for the blobs that the kernel's read
// ahead of a few files touches again.
const blobCacheSize = 64 << 20

// blobCache keeps the plaintext of recently read data blobs, least
// recently used out first. A blob's ID is its content's hash, so an
// entry never goes stale; failed loads are not kept.
type blobCache struct {
	mu    sync.Mutex
	max   int
	used  int
	order *list.List // of *cachedBlob, most recent at the front
	byID  map[format.ID]*list.Element
}

type cachedBlob struct {
	id   format.ID
	data []byte
}

func newBlobCache(max int) *blobCache {
	return &blobCache{max: max, order: list.New(), byID: map[format.ID]*list.Element{}}
}

// load returns the data blob id from the cache, or loads it through r,
// which authenticates it. The slice is shared: callers only read it.
func (c *blobCache) load(ctx context.Context, r *repo.Repository, id format.ID) ([]byte, error) {
	if b, ok := c.get(id); ok {
		return b, nil
	}
	b, err := r.LoadBlob(ctx, format.DataBlob, id, nil)
	if err != nil {
		return nil, err
	}
	c.put(id, b)
	return b, nil
}

func (c *blobCache) get(id format.ID) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cachedBlob).data, true
}

func (c *blobCache) put(id format.ID, b []byte) {
	if len(b) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		return
	}
	c.byID[id] = c.order.PushFront(&cachedBlob{id: id, data: b})
	c.used += len(b)
	for c.used > c.max {
		last := c.order.Back()
		old := last.Value.(*cachedBlob)
		c.order.Remove(last)
		delete(c.byID, old.id)
		c.used -= len(old.data)
	}
}
