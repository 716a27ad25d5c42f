package index

// NewNarrowLimit returns an index whose main records switch to 4-byte pack
// numbers beyond n packs instead of 2^23-1, so tests reach the switch.
func NewNarrowLimit(n uint32) *Index {
	x := New()
	x.narrow = n
	return x
}
