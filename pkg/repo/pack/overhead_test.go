package pack_test

import (
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// TestOverheadMatchesPackedSize: the overhead prune computes from an index
// (counts only) is what PackedSize adds to the blobs' lengths.
func TestOverheadMatchesPackedSize(t *testing.T) {
	for _, tc := range []struct{ plain, compressed int }{{0, 0}, {1, 0}, {0, 1}, {3, 5}, {100, 7}} {
		var blobs []pack.Blob
		var lengths int64
		for i := 0; i < tc.plain+tc.compressed; i++ {
			b := pack.Blob{Type: format.DataBlob, Length: uint32(100 + i)}
			if i >= tc.plain {
				b.UncompressedLength = 1000
			}
			blobs = append(blobs, b)
			lengths += int64(b.Length)
		}
		if got, want := pack.Overhead(len(blobs), tc.compressed)+lengths, pack.PackedSize(blobs); got != want {
			t.Errorf("%d plain, %d compressed: Overhead gives %d, PackedSize %d", tc.plain, tc.compressed, got, want)
		}
	}
}
