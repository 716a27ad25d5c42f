package chunker

import "sync"

// refTables caches the reference's tables: building them is slow, and the
// fuzzer calls the reference for every input.
var refTables sync.Map // Pol -> *tables

// referenceChunks is a literal, byte-at-a-time transcription of the
// algorithm in the format spec (docs/format.md §10.3): a ring-buffer window primed with one
// 0x01 byte, the first MinSize-64 bytes of each chunk skipped. It is slow and
// obviously right, and every fast path is checked against it.
func referenceChunks(data []byte, pol Pol, p Params) []Boundary {
	p, err := p.withDefaults()
	if err != nil {
		panic(err)
	}
	cached, ok := refTables.Load(pol)
	if !ok {
		cached, _ = refTables.LoadOrStore(pol, newTables(pol))
	}
	t := cached.(*tables)
	var (
		out   []Boundary
		win   [WindowSize]byte
		wpos  int
		d     uint64
		n     int
		start int
		pre   int
		mask  = p.mask()
		slide func(b byte)
		reset func()
	)
	slide = func(b byte) {
		o := win[wpos]
		win[wpos] = b
		wpos = (wpos + 1) % WindowSize
		d ^= t.out[o]
		d = (d<<8 | uint64(b)) ^ t.mod[d>>polShift]
	}
	reset = func() {
		win, wpos, d, n = [WindowSize]byte{}, 0, 0, 0
		slide(1)
		pre = p.MinSize - WindowSize
	}
	reset()
	for i, b := range data {
		n++
		if pre > 0 {
			pre--
			continue
		}
		slide(b)
		if n < p.MinSize {
			continue
		}
		if d&mask == 0 || n >= p.MaxSize {
			out = append(out, Boundary{Start: start, Length: n, Cut: d})
			start = i + 1
			reset()
		}
	}
	if n > 0 {
		out = append(out, Boundary{Start: start, Length: n, Cut: d})
	}
	return out
}
