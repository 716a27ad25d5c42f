package index_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// TestTreePacks: a pack is a tree pack if any blob in it is a tree, in
// the compacted part of the index as well as in the pending one.
func TestTreePacks(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := index.New()
	var want []format.ID
	add := func(typ format.BlobType, mixed bool) {
		id, blobs := makePack(r, 4, typ)
		if mixed {
			blobs[2].Type = format.TreeBlob
		}
		if err := x.AddPack(id, blobs); err != nil {
			t.Fatal(err)
		}
		if typ == format.TreeBlob || mixed {
			want = append(want, id)
		}
	}
	add(format.DataBlob, false)
	add(format.TreeBlob, false)
	add(format.DataBlob, true)
	x.Compact()
	add(format.TreeBlob, false)
	add(format.DataBlob, false)
	got := x.TreePacks()
	slices.SortFunc(got, func(a, b format.ID) int { return slices.Compare(a[:], b[:]) })
	slices.SortFunc(want, func(a, b format.ID) int { return slices.Compare(a[:], b[:]) })
	if !slices.Equal(got, want) {
		t.Fatalf("TreePacks = %v, want %v", got, want)
	}
}
