package archiver

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"runtime"
	"testing"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// Small files get small chunkers, a chunker that grew goes to the big
// pool, and the pools keep no more than their bounds.
func TestChunkerPools(t *testing.T) {
	p := newChunkerPools(chunker.Pol(0x3DA3358B4DC173), 3)
	small := p.get(false)
	if small.BufferSize() != smallChunkerBuffer {
		t.Fatalf("small chunker has %d bytes", small.BufferSize())
	}
	big := p.get(true)
	if big.BufferSize() <= smallChunkerBuffer {
		t.Fatalf("big chunker has %d bytes", big.BufferSize())
	}
	// A "small" file that grew past the small buffer while it was read.
	data := make([]byte, 3*smallChunkerBuffer)
	rand.New(rand.NewSource(1)).Read(data)
	small.Reset(bytes.NewReader(data))
	for {
		if _, err := small.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	p.put(small)
	p.put(big)
	if len(p.small) != 0 || len(p.big) != 2 {
		t.Fatalf("pools hold %d small, %d big chunkers; want 0 and 2", len(p.small), len(p.big))
	}
	for range 10 {
		p.put(p.newChunker(nil))
		p.put(p.newChunker(make([]byte, smallChunkerBuffer)))
	}
	if len(p.small) > cap(p.small) || cap(p.small) != 3 || cap(p.big) != bigFileReaders(3) {
		t.Fatalf("pool bounds: small %d/%d, big %d/%d", len(p.small), cap(p.small), len(p.big), cap(p.big))
	}
}

// What a backup holds at once stops growing with the cores.
func TestConcurrencyBounds(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct{ procs, files, big, chunks int }{
		{1, 2, 2, 2},
		{2, 4, 2, 3},
		{16, 32, 4, 8},
		{64, 128, 4, 8},
		{64, 1, 1, 8},
	} {
		runtime.GOMAXPROCS(tc.procs)
		if got := bigFileReaders(tc.files); got != tc.big {
			t.Errorf("%d cores, %d files: %d big files at once, want %d", tc.procs, tc.files, got, tc.big)
		}
		if got := chunksInFlight(); got != tc.chunks {
			t.Errorf("%d cores: %d chunks in flight, want %d", tc.procs, got, tc.chunks)
		}
	}
}
