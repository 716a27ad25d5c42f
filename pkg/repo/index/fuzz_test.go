package index_test

import (
	"slices"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// FuzzIndexFile decodes an index file into the in-memory index and encodes
// it back: every accepted blob must be found and survive the round trip.
func FuzzIndexFile(f *testing.F) {
	const id = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
	f.Add([]byte(`{"packs":[{"id":"` + id + `","blobs":[{"id":"` + id + `","type":"data","offset":0,"length":47,"uncompressed_length":6},{"id":"` + id + `","type":"tree","offset":47,"length":40}]}]}`))
	f.Add([]byte(`{"packs":[{"id":"` + id + `","blobs":[]},{"id":"` + id + `","blobs":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := format.DecodeIndex(data, 2)
		if err != nil {
			return
		}
		x := index.New()
		if err := x.AddIndexFile(doc); err != nil {
			t.Fatalf("decoded index not accepted: %v", err)
		}
		seen := map[format.ID]bool{}
		want := 0
		for _, p := range doc.Packs {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			want += len(p.Blobs)
			for _, b := range p.Blobs {
				if !x.Has(format.BlobHandle{ID: b.ID, Type: b.Type}) {
					t.Fatalf("blob %v lost", b.ID)
				}
			}
		}
		x.Compact()
		// Compacting re-encodes every field: each must come back exactly.
		clear(seen)
		for _, p := range doc.Packs {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			for _, b := range p.Blobs {
				want := index.Location{PackID: p.ID, Type: b.Type, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
				if !slices.Contains(x.LookupAll(format.BlobHandle{ID: b.ID, Type: b.Type}, nil), want) {
					t.Fatalf("blob %v: %v lost by Compact", b.ID, want)
				}
			}
		}
		got := 0
		for _, file := range x.Encode(3) {
			for _, p := range file.Packs {
				got += len(p.Blobs)
			}
		}
		if got != want || x.Count() != want {
			t.Fatalf("encoded %d blobs, count %d, want %d", got, x.Count(), want)
		}
	})
}
