package chunker

import (
	"sort"
	"sync"
)

// Boundary is the place of one chunk in a stream.
type Boundary struct {
	Start  int
	Length int
	Cut    uint64
}

// segmentChunks is the smallest share of data worth a goroutine, in maximal
// chunks: resynchronising costs about two chunks per segment.
const segmentChunks = 4

// Split returns the chunk boundaries of data, as a Chunker reading it would.
func Split(data []byte, pol Pol, params Params) ([]Boundary, error) {
	return SplitParallel(data, pol, params, 1)
}

// SplitParallel returns the same boundaries as Split, using up to workers
// goroutines. Each goroutine chunks one segment of data as if a chunk started
// at the segment's beginning. Content-defined boundaries resynchronise: once
// the true chain of cuts, continued from the previous segment, reaches a cut
// that the segment's goroutine also found, every later cut of that goroutine
// is a true cut as well. Only the few chunks before that point are chunked
// twice.
func SplitParallel(data []byte, pol Pol, params Params, workers int) ([]Boundary, error) {
	sp, err := NewSplitter(pol, params)
	if err != nil {
		return nil, err
	}
	segs := max(1, min(workers, len(data)/(segmentChunks*sp.p.MaxSize)))
	parts := make([][]Boundary, segs)
	var wg sync.WaitGroup
	for k := range segs {
		lo, hi := segmentBounds(len(data), segs, k)
		wg.Go(func() {
			s := *sp // each goroutine needs its own state; tables are shared
			parts[k] = splitRange(&s, data, lo, hi, k == segs-1)
		})
	}
	wg.Wait()

	out := parts[0]
	for k := 1; k < segs; k++ {
		pos := 0
		if len(out) > 0 {
			last := out[len(out)-1]
			pos = last.Start + last.Length
		}
		_, hi := segmentBounds(len(data), segs, k)
		out = resync(sp, data, pos, hi, out, parts[k])
	}
	return out, nil
}

func segmentBounds(n, segs, k int) (lo, hi int) {
	return n * k / segs, n * (k + 1) / segs
}

// splitRange chunks data[lo:hi] as a stream of its own. Unless final, the
// unfinished chunk at hi is dropped; the next segment's merge redoes it.
func splitRange(sp *Splitter, data []byte, lo, hi int, final bool) []Boundary {
	sp.Reset()
	var out []Boundary
	start := lo
	for p := lo; p < hi; {
		n, cut, found := sp.Next(data[p:hi])
		p += n
		if found {
			out = append(out, Boundary{Start: start, Length: p - start, Cut: cut})
			start = p
		}
	}
	if final && start < hi {
		out = append(out, Boundary{Start: start, Length: hi - start, Cut: sp.Final()})
	}
	return out
}

// resync continues the true chain of cuts from pos until it meets a chunk
// start of next, the boundaries found for the segment that ends at hi, then
// appends the rest of next. If it never meets one, the chain is computed
// sequentially up to hi.
func resync(sp *Splitter, data []byte, pos, hi int, out, next []Boundary) []Boundary {
	s := *sp
	s.Reset()
	for start := pos; start < hi; {
		i := sort.Search(len(next), func(i int) bool { return next[i].Start >= start })
		if i < len(next) && next[i].Start == start {
			return append(out, next[i:]...)
		}
		n, cut, found := s.Next(data[start:])
		if !found {
			return append(out, Boundary{Start: start, Length: n, Cut: s.Final()})
		}
		out = append(out, Boundary{Start: start, Length: n, Cut: cut})
		start += n
	}
	return out
}
