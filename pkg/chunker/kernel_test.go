package chunker

import (
	"math/rand"
	"testing"
)

// TestKernelsAgree runs the platform kernel and the portable one over the
// same lanes and compares every stop and every fingerprint. On amd64 this
// checks the assembly; with -tags purego it checks the portable kernel
// against itself, and TestScanMatchesReference covers it.
func TestKernelsAgree(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	data := make([]byte, 24<<20) // holds some 20-bit hits for every lane layout
	rnd.Read(data)
	tab := tablesFor(0x3da3358b4dc173)
	for _, stride := range []int{laneMin, 4093, laneBlock, 2 << 20} {
		p := WindowSize + rnd.Intn(100)
		n := min(stride, (len(data)-p)/laneCount)
		var dFast, dGen [laneCount]uint64
		fastWarm(tab, &data[p], stride, &dFast)
		warmGeneric(tab, &data[p], stride, &dGen)
		if dFast != dGen {
			t.Fatalf("stride %d: warm-up differs: %x vs %x", stride, dFast, dGen)
		}
		stops := 0
		for done := 0; done < n; {
			a := fastKernel(tab, &data[p+done], stride, &dFast, n-done)
			b := kernelGeneric(tab, &data[p+done], stride, &dGen, n-done)
			if a != b || dFast != dGen {
				t.Fatalf("stride %d at step %d: kernels disagree: %d %x vs %d %x", stride, done, a, dFast, b, dGen)
			}
			done += a
			stops++
		}
		if stride == 2<<20 && stops < 2 {
			t.Fatalf("stride %d: no cut candidate was hit; the test data is too short", stride)
		}
	}
}

// TestScanMatchesReference compares the lane scanner with the one-lane
// scanner on random ranges, both ends at every lane-size edge.
func TestScanMatchesReference(t *testing.T) {
	rnd := rand.New(rand.NewSource(2))
	data := make([]byte, 8<<20)
	rnd.Read(data)
	tab := tablesFor(0x3da3358b4dc173)
	const mask = 1<<AverageBits - 1
	lengths := []int{0, 1, laneCount*laneMin - 1, laneCount * laneMin, laneCount*laneBlock - 1, laneCount*laneBlock + 1, 3 << 20}
	for range 50 {
		lengths = append(lengths, rnd.Intn(len(data)-WindowSize))
	}
	for _, n := range lengths {
		from := WindowSize + rnd.Intn(len(data)-WindowSize-n+1)
		p1, d1 := scanLanes(tab, data, from, from+n, fastKernel, fastWarm)
		p2, d2 := scanGeneric(tab, data, from, from+n, mask)
		if p1 != p2 || (n > 0 && d1 != d2) {
			t.Fatalf("range [%d,%d): lanes found %d (%x), generic %d (%x)", from, from+n, p1, d1, p2, d2)
		}
	}
}
