package archiver

import (
	"runtime"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// What a backup holds in memory is bounded here, by counts that do not
// grow with the host's cores beyond what keeps them busy: a backup on a
// 16-core host took 4.4 times the memory of one on 2 cores (1.15 GB).
//
//   - a file of directMin bytes or more is read by a Chunker with a buffer
//     for the largest chunk (9 MiB) and four 2 MiB direct-read buffers;
//     bigFileReaders of them at once. One big file already keeps every core
//     busy: its chunks are saved in parallel.
//   - smaller files use a Chunker of smallChunkerBuffer bytes;
//   - chunksInFlight chunks (up to 8 MiB each) are copied off the readers
//     to be hashed, compressed and encrypted.

// smallChunkerBuffer holds any file smaller than directMin in one read.
const smallChunkerBuffer = directMin

// bigFileReaders is how many big files are read at once: 2 to 4, as
// each chunks at 1-2 GB/s.
func bigFileReaders(files int) int {
	return min(files, 4, max(2, runtime.GOMAXPROCS(0)/4))
}

// chunksInFlight is how many chunks are saved off the readers at once: a
// core each (and one waiting), at most 8.
func chunksInFlight() int {
	return min(runtime.GOMAXPROCS(0)+1, 8)
}

// chunkerPools keep chunkers by buffer size, so that reading a small file
// never pins a big buffer and a big file does not grow a small one. They
// keep no more chunkers than can be in use at once (see package bufpool
// for why not sync.Pool).
type chunkerPools struct {
	newChunker func(buf []byte) *chunker.Chunker
	small, big chan *chunker.Chunker
}

func newChunkerPools(pol chunker.Pol, files int) *chunkerPools {
	return &chunkerPools{
		newChunker: func(buf []byte) *chunker.Chunker {
			c, err := chunker.NewChunker(nil, pol, chunker.Params{}, buf)
			if err != nil {
				panic(err) // the polynomial was validated when the repository was opened
			}
			return c
		},
		small: make(chan *chunker.Chunker, files),
		big:   make(chan *chunker.Chunker, bigFileReaders(files)),
	}
}

func (p *chunkerPools) get(big bool) *chunker.Chunker {
	free := p.small
	if big {
		free = p.big
	}
	select {
	case c := <-free:
		return c
	default:
	}
	if big {
		return p.newChunker(nil)
	}
	return p.newChunker(make([]byte, smallChunkerBuffer))
}

// put files c by the buffer it has now: a small file that grew while it
// was read has a big one.
func (p *chunkerPools) put(c *chunker.Chunker) {
	c.Reset(nil)
	free := p.small
	if c.BufferSize() > smallChunkerBuffer {
		free = p.big
	}
	select {
	case free <- c:
	default:
	}
}
