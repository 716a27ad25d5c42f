package index

// A store is a growable array of fixed-size records kept in fixed-size
// pages. Unlike an appended slice it never over-allocates by more than one
// page and never copies records when growing.
type store struct {
	stride int
	pages  [][]byte
	n      int
}

// 8192 records per page make every page a whole number of the runtime's
// 8 KiB pages whatever the stride: the 13-byte record fields leave odd
// strides, and rounding each allocation up would cost 2% of the index.
const (
	pageBits = 13
	pageLen  = 1 << pageBits
)

func newStore(stride int) store { return store{stride: stride} }

// at returns record i (capacity-limited so callers cannot overrun it).
func (s *store) at(i int) []byte {
	p := s.pages[i>>pageBits]
	o := (i & (pageLen - 1)) * s.stride
	return p[o : o+s.stride : o+s.stride]
}

// add appends a zeroed record and returns it.
func (s *store) add() []byte {
	if s.n == len(s.pages)<<pageBits {
		s.pages = append(s.pages, make([]byte, pageLen*s.stride))
	}
	r := s.at(s.n)
	s.n++
	return r
}

// appendRange appends records [i, j) of src, which has the same stride, in
// page-sized bulk copies.
func (s *store) appendRange(src *store, i, j int) {
	const mask = pageLen - 1
	for i < j {
		if s.n == len(s.pages)<<pageBits {
			s.pages = append(s.pages, make([]byte, pageLen*s.stride))
		}
		k := min(j-i, pageLen-(s.n&mask), pageLen-(i&mask))
		dst := s.pages[s.n>>pageBits][(s.n&mask)*s.stride:]
		from := src.pages[i>>pageBits][(i&mask)*s.stride:]
		copy(dst, from[:k*s.stride])
		s.n += k
		i += k
	}
}
