// Package bufpool keeps a bounded number of byte buffers for reuse.
//
// sync.Pool is the wrong tool for buffers of megabytes: it keeps free
// objects per P (one per core) and for two collections, so what it retains
// grows with the host's cores. A backup, check or restore on a 16-core host
// held several times the memory it did on 2 cores for that alone. A Pool
// here keeps at most a fixed number of buffers, whatever the host.
package bufpool

// Pool keeps up to a fixed number of free buffers. Get and Put are safe for
// concurrent use; a Get with none free allocates, a Put with the pool full
// drops the buffer for the collector.
type Pool struct {
	free   chan *[]byte
	maxCap int
}

// New returns a Pool that keeps up to n buffers, each of at most maxCap
// bytes of capacity (a larger one, grown by a rare huge use, is dropped).
func New(n, maxCap int) *Pool {
	return &Pool{free: make(chan *[]byte, n), maxCap: maxCap}
}

// Get returns an empty buffer, with the capacity it had when it was put.
func (p *Pool) Get() *[]byte {
	select {
	case b := <-p.free:
		return b
	default:
		return new([]byte)
	}
}

// Put returns b for reuse. b must not be used afterwards.
func (p *Pool) Put(b *[]byte) {
	if cap(*b) > p.maxCap {
		return
	}
	*b = (*b)[:0]
	select {
	case p.free <- b:
	default:
	}
}
