package pack_test

import (
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

func TestBufferSize(t *testing.T) {
	cases := []struct {
		name string
		blob pack.Blob
		want uint32
	}{
		{"plain", pack.Blob{Length: 1000}, 1000},
		{"compressed, grows", pack.Blob{Length: 1000, UncompressedLength: 5000}, 5000},
		{"compressed, damaged smaller", pack.Blob{Length: 1000, UncompressedLength: 10}, 1000},
		{"too short to be sealed", pack.Blob{Length: crypto.Extension - 1, UncompressedLength: 1 << 30}, 0},
		{"empty sealed", pack.Blob{Length: crypto.Extension}, crypto.Extension},
	}
	for _, tc := range cases {
		if got := tc.blob.BufferSize(); got != tc.want {
			t.Errorf("%s: BufferSize %d, want %d", tc.name, got, tc.want)
		}
	}
}
