package bufpool

import (
	"sync"
	"testing"
)

// The pool keeps at most n buffers, gives them back emptied with their
// capacity, and drops buffers above maxCap.
func TestPoolKeepsAtMostN(t *testing.T) {
	p := New(2, 1<<20)
	a, b, c := p.Get(), p.Get(), p.Get()
	*a = append(*a, make([]byte, 100)...)
	*b = append(*b, make([]byte, 200)...)
	*c = append(*c, make([]byte, 300)...)
	p.Put(a)
	p.Put(b)
	p.Put(c) // the pool is full: dropped
	got := map[int]bool{}
	for range 2 {
		x := p.Get()
		if len(*x) != 0 {
			t.Fatalf("buffer from the pool has length %d", len(*x))
		}
		got[cap(*x)] = true
	}
	if !got[cap(*a)] || !got[cap(*b)] {
		t.Fatalf("capacities %v, want those of the first two buffers put", got)
	}
	if x := p.Get(); cap(*x) != 0 {
		t.Fatalf("a third buffer was kept (cap %d)", cap(*x))
	}
	big := p.Get()
	*big = make([]byte, 2<<20)
	p.Put(big)
	if x := p.Get(); cap(*x) != 0 {
		t.Fatal("a buffer above maxCap was kept")
	}
}

func TestPoolConcurrent(t *testing.T) {
	p := New(4, 1<<20)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				b := p.Get()
				*b = append(*b, byte(i), byte(j))
				if (*b)[0] != byte(i) || len(*b) != 2 {
					t.Errorf("buffer shared between users")
					return
				}
				p.Put(b)
			}
		})
	}
	wg.Wait()
}
