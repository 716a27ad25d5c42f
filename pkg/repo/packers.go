package repo

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// minDataPacks is how many data packs are open at least, whatever the
// cores: enough for the random choice of packerPool to mean something on
// one core.
const minDataPacks = 4

// packerPool holds the open packs of one blob type. A new blob goes to one
// of the packs no other caller is adding to, chosen at random
// (crypto/rand): which blobs share a pack, and in which order, then tells
// nothing about where a known file was cut, restic 0.18's defence against
// the chunking attack (restic issue 5291). Taking them in turn, consecutive
// chunks of a file filled one pack after another on one core, and a fixed
// rotation would be as telling. Choosing among the free packs only keeps
// every core busy: no caller waits for a pack while another is free.
type packerPool struct {
	free chan struct{} // a token per pack not in use
	mu   sync.Mutex
	idle []*packer // nil: a pack not created yet
}

func newPackerPool(n int) *packerPool {
	pp := &packerPool{free: make(chan struct{}, n), idle: make([]*packer, n)}
	for range n {
		pp.free <- struct{}{}
	}
	return pp
}

// take returns a pack no other caller uses (nil for one to create),
// waiting for one to be free.
func (pp *packerPool) take(ctx context.Context) (*packer, error) {
	select {
	case <-pp.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	i := randomIndex(len(pp.idle))
	p := pp.idle[i]
	pp.idle[i] = pp.idle[len(pp.idle)-1]
	pp.idle = pp.idle[:len(pp.idle)-1]
	return p, nil
}

// put gives back a pack from take (nil if it was shipped or failed).
func (pp *packerPool) put(p *packer) {
	pp.mu.Lock()
	pp.idle = append(pp.idle, p)
	pp.mu.Unlock()
	pp.free <- struct{}{}
}

// drain takes every pack back, for the end of the saver: all callers are
// done, so none is in use.
func (pp *packerPool) drain() []*packer {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	out := pp.idle
	pp.idle = nil
	return out
}

// randomIndex returns a uniform-enough random index below n (the modulo
// bias of 64 random bits over a handful of packs is nil in practice).
func randomIndex(n int) int {
	if n <= 1 {
		return 0
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
	return int(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}
