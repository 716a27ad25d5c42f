package index_test

import (
	"math/rand/v2"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// BenchmarkAddPacks loads 2^18 blobs in packs of 128, as loading a
// repository's index does: the time goes to the merges AddPack triggers.
func BenchmarkAddPacks(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	packs := make([]packEntry, 1<<11)
	for i := range packs {
		id, blobs := makePack(r, 128, format.DataBlob)
		packs[i] = packEntry{id, blobs}
	}
	b.ReportAllocs()
	for b.Loop() {
		x := index.New()
		for _, p := range packs {
			if err := x.AddPack(p.id, p.blobs); err != nil {
				b.Fatal(err)
			}
		}
		x.Compact()
	}
}
