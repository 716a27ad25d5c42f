package bench

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	resticchunker "github.com/restic/chunker"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// The polynomial of restic/chunker's own tests; any irreducible one would do.
const pol = 0x3da3358b4dc173

// benchData is built on first use, so that `go test` without -bench does
// not pay for it.
var benchData = sync.OnceValue(func() []byte {
	b := make([]byte, 128<<20)
	_, _ = rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'}).Read(b)
	return b
})

// wantChunks is the boundary count every chunker must produce; benchmarks
// check their result against it so that a fast wrong chunker cannot pass.
var wantChunks = sync.OnceValue(func() int {
	b, err := chunker.Split(benchData(), pol, chunker.Params{})
	if err != nil {
		panic(err)
	}
	return len(b)
})

func check(b *testing.B, n int) {
	if n != wantChunks() {
		b.Fatalf("%d chunks, want %d", n, wantChunks())
	}
}

// BenchmarkDrydockChunker is drydock's chunker on one core.
func BenchmarkDrydockChunker(b *testing.B) {
	data := benchData()
	_ = wantChunks() // computed before b.Loop starts the timer
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		got, err := chunker.Split(data, pol, chunker.Params{})
		if err != nil {
			b.Fatal(err)
		}
		check(b, len(got))
	}
}

// BenchmarkDrydockChunkerParallel uses every core GOMAXPROCS allows
// (run with -cpu 1,2 to see the scaling).
func BenchmarkDrydockChunkerParallel(b *testing.B) {
	data := benchData()
	_ = wantChunks() // computed before b.Loop starts the timer
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		got, err := chunker.SplitParallel(data, pol, chunker.Params{}, runtime.GOMAXPROCS(0))
		if err != nil {
			b.Fatal(err)
		}
		check(b, len(got))
	}
}

// BenchmarkResticChunker is restic's chunker (v0.4.0, as restic 0.14 to
// 0.19 use it), reading the same data.
func BenchmarkResticChunker(b *testing.B) {
	data := benchData()
	_ = wantChunks() // computed before b.Loop starts the timer
	b.SetBytes(int64(len(data)))
	buf := make([]byte, chunker.MaxSize)
	for b.Loop() {
		c := resticchunker.New(bytes.NewReader(data), pol)
		n := 0
		for {
			_, err := c.Next(buf)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		check(b, n)
	}
}

// BenchmarkSHA256 is the yardstick: crypto/sha256 over the same bytes.
func BenchmarkSHA256(b *testing.B) {
	data := benchData()
	_ = wantChunks() // computed before b.Loop starts the timer
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sha256.Sum256(data)
	}
}

// BenchmarkDrydockChunkerSHA256 chunks and hashes every chunk, the CPU work
// of a backup before compression and encryption.
func BenchmarkDrydockChunkerSHA256(b *testing.B) {
	data := benchData()
	_ = wantChunks() // computed before b.Loop starts the timer
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		got, err := chunker.Split(data, pol, chunker.Params{})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range got {
			sha256.Sum256(data[c.Start : c.Start+c.Length])
		}
	}
}
