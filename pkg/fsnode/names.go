package fsnode

import (
	"os/user"
	"strconv"
	"sync"
)

// idCache memoises uid/gid -> name lookups: os/user parses /etc/passwd (or
// asks NSS) on every call, far too slow for millions of entries that share
// a handful of owners. Unresolvable ids are cached as "" as well.
type idCache struct {
	mu    sync.RWMutex
	names map[uint32]string
	look  func(string) (string, error)
}

func (c *idCache) name(id uint32) string {
	c.mu.RLock()
	name, ok := c.names[id]
	c.mu.RUnlock()
	if ok {
		return name
	}
	name, _ = c.look(strconv.FormatUint(uint64(id), 10))
	c.mu.Lock()
	c.names[id] = name
	c.mu.Unlock()
	return name
}

var (
	users = &idCache{names: map[uint32]string{}, look: func(id string) (string, error) {
		u, err := user.LookupId(id)
		if err != nil {
			return "", err
		}
		return u.Username, nil
	}}
	groups = &idCache{names: map[uint32]string{}, look: func(id string) (string, error) {
		g, err := user.LookupGroupId(id)
		if err != nil {
			return "", err
		}
		return g.Name, nil
	}}
)
