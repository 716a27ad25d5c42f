package index

import (
	"cmp"
	"slices"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// packGroups returns every entry grouped by pack number: blobs of pack n
// are flat[start[n]:start[n+1]], sorted by offset.
func (x *Index) packGroups() (packs []format.ID, start []int, flat []format.IndexBlob) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	packs = make([]format.ID, x.packs.n)
	for n := range packs {
		packs[n] = x.packID(uint32(n))
	}
	start = make([]int, len(packs)+1)
	x.eachRecord(func(_ *format.ID, e entry) {
		start[e.pack&^treeFlag+1]++
	})
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	flat = make([]format.IndexBlob, start[len(packs)])
	fill := slices.Clone(start[:len(packs)])
	x.eachRecord(func(id *format.ID, e entry) {
		l := x.location(e)
		n := e.pack &^ treeFlag
		flat[fill[n]] = format.IndexBlob{ID: *id, Type: l.Type, Offset: l.Offset, Length: l.Length, UncompressedLength: l.UncompressedLength}
		fill[n]++
	})
	for n := range packs {
		slices.SortFunc(flat[start[n]:start[n+1]], func(a, b format.IndexBlob) int {
			return cmp.Compare(a.Offset, b.Offset)
		})
	}
	return packs, start, flat
}

// eachRecord calls fn with the full ID and the fields of every record, main
// part first. The caller holds the lock.
func (x *Index) eachRecord(fn func(id *format.ID, e entry)) {
	var id format.ID
	if x.prefix != nil {
		for p := 0; p < prefixCount; p++ {
			id[0], id[1] = byte(p>>8), byte(p)
			for i := int(x.prefix[p]); i < int(x.prefix[p+1]); i++ {
				r := x.main.at(i)
				copy(id[prefixBytes:], r[:mainIDLen])
				fn(&id, x.mainEntry(&id, r[mainIDLen:]))
			}
		}
	}
	for i := 0; i < x.pend.n; i++ {
		r := x.pend.at(i)
		copy(id[:], r[:format.IDSize])
		fn(&id, pendEntry(r[format.IDSize:]))
	}
}

// EachPack calls fn for every pack, in insertion order, with its blobs
// sorted by offset, until fn returns false. fn runs on a copy and may use
// the index.
func (x *Index) EachPack(fn func(packID format.ID, blobs []format.IndexBlob) bool) {
	packs, start, flat := x.packGroups()
	for n, id := range packs {
		if !fn(id, flat[start[n]:start[n+1]:start[n+1]]) {
			return
		}
	}
}

// Encode splits the index into index documents of at most maxBlobs blobs
// each (format.MaxIndexBlobs if maxBlobs <= 0). Every pack is described
// completely in exactly one document (docs/format.md §6.3); a pack with more than maxBlobs
// blobs gets a document of its own.
func (x *Index) Encode(maxBlobs int) []*format.Index {
	if maxBlobs <= 0 {
		maxBlobs = format.MaxIndexBlobs
	}
	packs, start, flat := x.packGroups()
	var files []*format.Index
	cur, curBlobs := &format.Index{}, 0
	for n, id := range packs {
		blobs := flat[start[n]:start[n+1]:start[n+1]]
		if curBlobs > 0 && curBlobs+len(blobs) > maxBlobs {
			files = append(files, cur)
			cur, curBlobs = &format.Index{}, 0
		}
		cur.Packs = append(cur.Packs, format.IndexPack{ID: id, Blobs: blobs})
		curBlobs += len(blobs)
	}
	if len(cur.Packs) > 0 {
		files = append(files, cur)
	}
	return files
}

// EncodeJSON is Encode followed by format.EncodeIndex: the JSON plaintexts
// of the index files to write (still to be wrapped with
// format.EncodeUnpacked and sealed).
func (x *Index) EncodeJSON(maxBlobs int) ([][]byte, error) {
	files := x.Encode(maxBlobs)
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		b, err := format.EncodeIndex(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
