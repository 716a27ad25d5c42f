package format

// decodeIndexFast parses an index in the compact layout restic's encoder
// and ours write: {"packs":[{"id":…,"blobs":[{"id":…,"type":…,"offset":…,
// "length":…[,"uncompressed_length":…]}…]}…]} and a final newline, keys in
// that order. Every command that opens a repository decodes the whole
// index, and encoding/json's reflection made a 1 MB index file take most
// of a no-change backup's index load. Anything else returns ok == false
// and DecodeIndex uses encoding/json, which stays the reference:
// FuzzDecodeIndexFast checks that both agree whenever this one succeeds.
func decodeIndexFast(data []byte) (*Index, bool) {
	d := &treeDecoder{b: data}
	if !d.lit(`{"packs":[`) {
		return nil, false
	}
	packs, ok := list(d, d.indexPack)
	if !ok || !d.lit("}") {
		return nil, false
	}
	d.lit("\n")
	return &Index{Packs: packs}, d.i == len(d.b)
}

// list reads the elements of an array whose "[" was read, up to its "]".
// An empty one is empty, not nil, as encoding/json decodes "[]".
func list[T any](d *treeDecoder, elem func() (T, bool)) ([]T, bool) {
	out := []T{}
	for first := true; !d.lit("]"); first = false {
		if !first && !d.lit(",") {
			return nil, false
		}
		e, ok := elem()
		if !ok {
			return nil, false
		}
		out = append(out, e)
	}
	return out, true
}

func (d *treeDecoder) indexPack() (IndexPack, bool) {
	var p IndexPack
	if !d.lit(`{"id":`) || !d.id(&p.ID) || !d.lit(`,"blobs":[`) {
		return p, false
	}
	var ok bool
	if p.Blobs, ok = list(d, d.indexBlob); !ok {
		return p, false
	}
	return p, d.lit("}")
}

func (d *treeDecoder) indexBlob() (IndexBlob, bool) {
	var b IndexBlob
	if !d.lit(`{"id":`) || !d.id(&b.ID) {
		return b, false
	}
	switch {
	case d.lit(`,"type":"data"`):
		b.Type = DataBlob
	case d.lit(`,"type":"tree"`):
		b.Type = TreeBlob
	default:
		return b, false
	}
	if !d.lit(`,"offset":`) || !d.uint32(&b.Offset) || !d.lit(`,"length":`) || !d.uint32(&b.Length) {
		return b, false
	}
	if d.lit(`,"uncompressed_length":`) && !d.uint32(&b.UncompressedLength) {
		return b, false
	}
	return b, d.lit("}")
}

// uint32 reads a plain non-negative integer that fits in 32 bits.
func (d *treeDecoder) uint32(v *uint32) bool {
	u, ok := d.uint(32)
	*v = uint32(u)
	return ok
}
