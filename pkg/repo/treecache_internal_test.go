package repo

import (
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func TestTreeCacheBound(t *testing.T) {
	c := newTreeCache(300)
	id := func(b byte) format.ID { return format.ID{b} }
	for i := range byte(5) {
		c.put(id(i), &format.Tree{}, 100)
		if c.used > c.max {
			t.Fatalf("cache holds %d bytes, bound %d", c.used, c.max)
		}
	}
	// 0 and 1 were evicted, oldest first; a get makes 2 the most recent.
	for i, want := range []bool{false, false, true, true, true} {
		if _, ok := c.get(id(byte(i))); ok != want {
			t.Fatalf("tree %d cached: %v, want %v", i, ok, want)
		}
	}
	// The gets above left 4 the most recent, 2 the least.
	c.put(id(5), &format.Tree{}, 100)
	if _, ok := c.get(id(2)); ok {
		t.Fatal("least recently used tree survived")
	}
	c.put(id(6), &format.Tree{}, 301)
	if _, ok := c.get(id(6)); ok {
		t.Fatal("tree above the bound was cached")
	}
	off := newTreeCache(0)
	off.put(id(1), &format.Tree{}, 1)
	if _, ok := off.get(id(1)); ok {
		t.Fatal("disabled cache kept a tree")
	}
}
