package format

// decodeIndexFast parses an index in the compact layout restic's encoder
// and ours write: {"packs":[{"id":…,"blobs":[{"id":…,"type":…,"offset":…,
// "length":…[,"uncompressed_length":…]}…]}…]} and a final newline, keys in
// that order. Every command that opens a repository decodes the whole
// index, and encoding/json's reflection made a 1 MB index file take most
// of a no-change backup's index load. Anything else returns ok == false
// and DecodeIndex uses encoding/json, which stays the reference:
// FuzzDecodeIndexFast checks that both agree whenever this one succeeds.
func decodeIndexFast(data []byte) (idx *Index, ok bool) {
	d := &treeDecoder{b: data}
	if !d.lit(`{"packs":[`) {
		return nil, false
	}
	idx = &Index{Packs: []IndexPack{}} // as encoding/json decodes "[]"
	for first := true; !d.lit("]"); first = false {
		if !first && !d.lit(",") {
			return nil, false
		}
		p, ok := d.indexPack()
		if !ok {
			return nil, false
		}
		idx.Packs = append(idx.Packs, p)
	}
	if !d.lit("}") {
		return nil, false
	}
	d.lit("\n")
	return idx, d.i == len(d.b)
}

func (d *treeDecoder) indexPack() (IndexPack, bool) {
	var p IndexPack
	if !d.lit(`{"id":`) || !d.id(&p.ID) || !d.lit(`,"blobs":[`) {
		return p, false
	}
	p.Blobs = []IndexBlob{}
	for first := true; !d.lit("]"); first = false {
		if !first && !d.lit(",") {
			return p, false
		}
		b, ok := d.indexBlob()
		if !ok {
			return p, false
		}
		p.Blobs = append(p.Blobs, b)
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
