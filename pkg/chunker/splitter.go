package chunker

// Splitter finds chunk boundaries in a stream that the caller feeds as
// consecutive byte slices it owns; nothing is copied except the last 64 bytes
// of each slice, which a window may need when it spans two slices.
//
// A Splitter is not safe for concurrent use; use one per stream.
type Splitter struct {
	t    *tables
	p    Params
	mask uint64
	n    int              // bytes of the current chunk fed so far
	hist [WindowSize]byte // the last 64 bytes fed
}

// NewSplitter returns a Splitter for polynomial pol with restic's parameters
// (the zero Params) or the given ones.
func NewSplitter(pol Pol, params Params) (*Splitter, error) {
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	p, err := params.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Splitter{t: tablesFor(pol), p: p, mask: p.mask()}, nil
}

// Params returns the parameters in effect, defaults filled in.
func (s *Splitter) Params() Params { return s.p }

// Reset forgets the current chunk and stream, so that the Splitter can start
// on a new stream.
func (s *Splitter) Reset() { s.n = 0 }

// Pending returns how many bytes of the current, unfinished chunk have been
// fed.
func (s *Splitter) Pending() int { return s.n }

// Next feeds buf, the next bytes of the stream. If the current chunk ends
// within buf, it returns the number of bytes of buf that belong to it, the
// fingerprint at the cut, and true; the caller continues with buf[n:].
// Otherwise all of buf belongs to the current chunk and it returns
// len(buf), 0, false.
func (s *Splitter) Next(buf []byte) (n int, cut uint64, found bool) {
	first := max(s.p.MinSize-1-s.n, 0) // first index in buf where a cut may fall
	last := s.p.MaxSize - 1 - s.n      // index where a cut is forced
	end := min(len(buf), last+1)
	if first >= end {
		s.consume(buf)
		return len(buf), 0, false
	}
	pos, fp := s.search(buf, first, end)
	if pos < 0 && end == last+1 {
		pos = last // MaxSize reached: fp is the fingerprint at end-1 == last
	}
	if pos < 0 {
		s.consume(buf)
		return len(buf), 0, false
	}
	s.consume(buf[:pos+1])
	s.n = 0
	return pos + 1, fp, true
}

// search returns the first candidate in buf[first:end] and its fingerprint,
// or -1 and the fingerprint at end-1. Windows that reach back before buf are
// completed from the history of earlier slices.
func (s *Splitter) search(buf []byte, first, end int) (int, uint64) {
	if first >= WindowSize {
		return scan(s.t, buf, first, end, s.mask)
	}
	// Positions before WindowSize: stitch history and buf's head together.
	var tmp [2 * WindowSize]byte
	copy(tmp[:], s.hist[:])
	headEnd := min(end, WindowSize)
	copy(tmp[WindowSize:], buf[:headEnd])
	pos, fp := scanGeneric(s.t, tmp[:], WindowSize+first, WindowSize+headEnd, s.mask)
	if pos >= 0 {
		return pos - WindowSize, fp
	}
	if headEnd == end {
		return -1, fp
	}
	return scan(s.t, buf, WindowSize, end, s.mask)
}

// consume records that b was fed to the current chunk.
func (s *Splitter) consume(b []byte) {
	s.n += len(b)
	if len(b) >= WindowSize {
		copy(s.hist[:], b[len(b)-WindowSize:])
		return
	}
	copy(s.hist[:], s.hist[len(b):]) // shift left, then append b
	copy(s.hist[WindowSize-len(b):], b)
}

// Final returns the fingerprint restic reports as the "cut" of the last chunk
// of a stream, the one that ends at EOF: its rolling hash state, which is 1
// when none of the chunk's bytes have been hashed yet. It has no meaning for
// boundaries; it is offered so that output can match restic's byte for byte.
func (s *Splitter) Final() uint64 {
	hashed := s.n - (s.p.MinSize - WindowSize)
	if hashed <= 0 {
		return 1
	}
	win := s.hist[WindowSize-min(hashed, WindowSize):]
	if hashed >= WindowSize {
		return s.t.windowFP(win)
	}
	// restic primes the window with a single 0x01 byte; it has not left yet.
	d := s.t.windowFP([]byte{1})
	for _, c := range win {
		d = (d<<8 | uint64(c)) ^ s.t.mod[d>>polShift]
	}
	return d
}
