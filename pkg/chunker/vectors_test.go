package chunker_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// vector is one entry of testdata/vectors.json, produced by restic's chunker
// (see testdata/README.md for how the input streams are generated).
type vector struct {
	Name       string `json:"name"`
	Seed       string `json:"seed"`
	Mode       string `json:"mode"`
	Size       int    `json:"size"`
	Polynomial string `json:"polynomial"`
	Chunks     []struct {
		Start  int    `json:"start"`
		Length int    `json:"length"`
		Cut    string `json:"cut"`
	} `json:"chunks"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

var streamCache sync.Map // vector name -> []byte

// stream generates a vector's input: SHA-256(seed || uint64_be(i)) blocks,
// post-processed per mode.
func (v vector) stream() []byte {
	if b, ok := streamCache.Load(v.Name); ok {
		return b.([]byte)
	}
	buf := make([]byte, 0, v.Size+32)
	var ctr [8]byte
	for i := uint64(0); len(buf) < v.Size; i++ {
		binary.BigEndian.PutUint64(ctr[:], i)
		block := sha256.Sum256(append([]byte(v.Seed), ctr[:]...))
		switch v.Mode {
		case "low":
			for j := range block {
				block[j] &= 3
			}
		case "zeroruns":
			if (i/16384)%2 == 0 {
				block = [32]byte{}
			}
		}
		buf = append(buf, block[:]...)
	}
	buf = buf[:v.Size]
	streamCache.Store(v.Name, buf)
	return buf
}

func (v vector) pol(t testing.TB) chunker.Pol {
	t.Helper()
	p, err := chunker.ParsePol(v.Polynomial)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (v vector) want(t testing.TB) []chunker.Boundary {
	t.Helper()
	var out []chunker.Boundary
	for _, c := range v.Chunks {
		cut, err := strconv.ParseUint(c.Cut, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, chunker.Boundary{Start: c.Start, Length: c.Length, Cut: cut})
	}
	return out
}

// compareBoundaries fails t at the first difference. restic's vectors
// include the EOF chunk's cut, which we reproduce too.
func compareBoundaries(t testing.TB, what string, got, want []chunker.Boundary) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: chunk %d = %+v (cut %014x), want %+v (cut %014x)", what, i, got[i], got[i].Cut, want[i], want[i].Cut)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d chunks, want %d", what, len(got), len(want))
	}
}

// readSizes are the ways a stream is cut into reads: every size must give
// the same boundaries. 1-byte reads are also covered, on a shorter prefix,
// by TestOneByteReads.
var readSizes = []int{63, 64, 65, 4093, 65537, 1 << 20, chunker.MaxSize + 1}

func testReadSizes() []int {
	if raceEnabled {
		return []int{65, 65537, chunker.MaxSize + 1}
	}
	return readSizes
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			data, pol, want := v.stream(), v.pol(t), v.want(t)
			got, err := chunker.Split(data, pol, chunker.Params{})
			if err != nil {
				t.Fatal(err)
			}
			compareBoundaries(t, "whole buffer", got, want)
			for _, rs := range testReadSizes() {
				compareBoundaries(t, fmt.Sprintf("reads of %d", rs), chunkReader(t, data, pol, chunker.Params{}, fixedReads(rs)), want)
			}
			if !raceEnabled {
				compareBoundaries(t, "random reads", chunkReader(t, data, pol, chunker.Params{}, randomReads(int64(len(data)))), want)
			}
			// Buffers that start small and grow.
			for _, size := range []int{1, 4093, 700 << 10} {
				plan := fixedReads(1 << 20)
				if !raceEnabled {
					plan = randomReads(int64(size))
				}
				compareBoundaries(t, fmt.Sprintf("buffer of %d", size), chunkReaderBuf(t, data, pol, chunker.Params{}, plan, make([]byte, size)), want)
			}
			for _, w := range []int{2, 3, 4} {
				got, err := chunker.SplitParallel(data, pol, chunker.Params{}, w)
				if err != nil {
					t.Fatal(err)
				}
				compareBoundaries(t, fmt.Sprintf("%d workers", w), got, want)
			}
		})
	}
}

// TestOneByteReads feeds the first bytes of every vector one at a time.
func TestOneByteReads(t *testing.T) {
	prefix := 12 << 20
	if raceEnabled {
		prefix = 3 << 20
	}
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			data, pol := v.stream(), v.pol(t)
			data = data[:min(len(data), prefix)]
			want, err := chunker.Split(data, pol, chunker.Params{})
			if err != nil {
				t.Fatal(err)
			}
			// The prefix's chunks up to its last full chunk must match restic's.
			compareBoundaries(t, "whole prefix vs vectors", want[:len(want)-1], v.want(t)[:len(want)-1])
			compareBoundaries(t, "1-byte reads", chunkReader(t, data, pol, chunker.Params{}, fixedReads(1)), want)
		})
	}
}

func hexID(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
