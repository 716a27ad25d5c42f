package chunker

import (
	"bytes"
	"math/rand"
	"testing"
)

// smallParams make chunks small enough that short inputs hold many of them.
var smallParams = Params{MinSize: 64, MaxSize: 512, AverageBits: 5}

// feed chunks data through a Splitter in pieces of the given sizes (cycled).
func feed(t testing.TB, data []byte, pol Pol, p Params, sizes []int) []Boundary {
	t.Helper()
	sp, err := NewSplitter(pol, p)
	if err != nil {
		t.Fatal(err)
	}
	var out []Boundary
	start := 0
	for off, i := 0, 0; off < len(data); i++ {
		end := min(len(data), off+max(1, sizes[i%len(sizes)]))
		for piece := data[off:end]; len(piece) > 0; {
			n, cut, found := sp.Next(piece)
			piece, off = piece[n:], off+n
			if found {
				out = append(out, Boundary{Start: start, Length: off - start, Cut: cut})
				start = off
			}
		}
	}
	if start < len(data) {
		out = append(out, Boundary{Start: start, Length: len(data) - start, Cut: sp.Final()})
	}
	return out
}

// checkChunking verifies the invariants of any chunking of data.
func checkChunking(t testing.TB, data []byte, got []Boundary, p Params) {
	t.Helper()
	p, _ = p.withDefaults()
	var joined []byte
	for i, b := range got {
		if b.Length > p.MaxSize || (i < len(got)-1 && b.Length < p.MinSize) || b.Length == 0 {
			t.Fatalf("chunk %d has %d bytes, outside [%d,%d]", i, b.Length, p.MinSize, p.MaxSize)
		}
		if b.Start != len(joined) {
			t.Fatalf("chunk %d starts at %d, want %d", i, b.Start, len(joined))
		}
		joined = append(joined, data[b.Start:b.Start+b.Length]...)
	}
	if !bytes.Equal(joined, data) {
		t.Fatal("chunks do not concatenate to the input")
	}
}

func equalBoundaries(a, b []Boundary) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPropertiesSmallChunks(t *testing.T) {
	rnd := rand.New(rand.NewSource(3))
	pol := Pol(0x3da3358b4dc173)
	for trial := range 200 {
		data := make([]byte, rnd.Intn(20000))
		rnd.Read(data)
		if trial%3 == 0 { // low entropy: long runs without candidates force MaxSize cuts
			for i := range data {
				data[i] &= 1
			}
		}
		want := referenceChunks(data, pol, smallParams)
		checkChunking(t, data, want, smallParams)
		sizes := []int{1 + rnd.Intn(200), 1 + rnd.Intn(5), 1 + rnd.Intn(3000)}
		if got := feed(t, data, pol, smallParams, sizes); !equalBoundaries(got, want) {
			t.Fatalf("trial %d: reads %v give %v, reference %v", trial, sizes, got, want)
		}
		got, err := SplitParallel(data, pol, smallParams, 1+rnd.Intn(4))
		if err != nil || !equalBoundaries(got, want) {
			t.Fatalf("trial %d: SplitParallel differs from the reference (%v)", trial, err)
		}
	}
}

// TestDefaultParamsMatchReference runs restic's real parameters through
// every path on inputs that exercise MaxSize cuts and stream ends.
func TestDefaultParamsMatchReference(t *testing.T) {
	rnd := rand.New(rand.NewSource(4))
	pol := Pol(0x2f0801faf3ece5)
	random := make([]byte, 30<<20)
	rnd.Read(random)
	zeros := make([]byte, 20<<20) // no candidates: every cut is a MaxSize cut
	mixed := append(append([]byte{}, random[:3<<20]...), zeros[:9<<20]...)
	for name, data := range map[string][]byte{"random": random, "zeros": zeros, "mixed": mixed, "tiny": random[:100], "min-1": random[:MinSize-1]} {
		want := referenceChunks(data, pol, Params{})
		checkChunking(t, data, want, Params{})
		if got := feed(t, data, pol, Params{}, []int{1 << 20, 777, 5 << 20}); !equalBoundaries(got, want) {
			t.Fatalf("%s: Splitter differs from the reference", name)
		}
		for _, w := range []int{1, 2, 3} {
			if got, _ := SplitParallel(data, pol, Params{}, w); !equalBoundaries(got, want) {
				t.Fatalf("%s: SplitParallel(%d) differs from the reference", name, w)
			}
		}
	}
}

func FuzzSplitter(f *testing.F) {
	f.Add([]byte("hello, world"), uint16(1), uint16(7), uint8(5))
	f.Add(bytes.Repeat([]byte{0}, 3000), uint16(64), uint16(1), uint8(3))
	f.Add(bytes.Repeat([]byte("abcdefgh"), 500), uint16(100), uint16(333), uint8(6))
	pol := Pol(0x3da3358b4dc173)
	f.Fuzz(func(t *testing.T, data []byte, r1, r2 uint16, bits uint8) {
		p := Params{MinSize: 64 + int(r1%200), MaxSize: 64 + int(r1%200) + int(r2%1000), AverageBits: uint(1 + bits%12)}
		want := referenceChunks(data, pol, p)
		checkChunking(t, data, want, p)
		if got := feed(t, data, pol, p, []int{int(r1), int(r2), 1}); !equalBoundaries(got, want) {
			t.Fatalf("Splitter %v differs from the reference %v", got, want)
		}
		if got, _ := SplitParallel(data, pol, p, 3); !equalBoundaries(got, want) {
			t.Fatal("SplitParallel differs from the reference")
		}
	})
}
