package local

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/directio"
)

// TestDirectLoads: ranged loads go through directio and return the right
// bytes at every alignment; whole-file loads stay on the page cache.
func TestDirectLoads(t *testing.T) {
	b, err := Create(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b.directMin = 1
	// Where the file system has no direct I/O, loads use the cache.
	probe, err := os.CreateTemp(t.TempDir(), "probe")
	if err != nil {
		t.Fatal(err)
	}
	pr, canDirect := directio.NewReader(probe, 0, 0)
	if canDirect {
		pr.Close()
	}
	probe.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for i, size := range []int{1, directio.Align + 1, 5<<20 + 17} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		h := backend.Handle{Type: backend.PackFile, Name: fmt.Sprintf("%064x", i)}
		if err := b.Save(t.Context(), h, backend.NewByteReader(data)); err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, 1, directio.Align, size / 2, size - 1} {
			for _, length := range []int{0, 1, directio.Align + 1, size - off} {
				if off >= size || off+length > size {
					continue
				}
				want := data[off:]
				if length > 0 {
					want = data[off : off+length]
				}
				var got []byte
				err := b.Load(t.Context(), h, length, int64(off), func(rd io.Reader) error {
					if _, direct := rd.(*directio.Reader); direct != (canDirect && length > 0) {
						t.Errorf("size %d off %d len %d: direct reader %v", size, off, length, direct)
					}
					var err error
					got, err = io.ReadAll(rd)
					return err
				})
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("size %d off %d len %d: %d bytes, err %v, want %d bytes", size, off, length, len(got), err, len(want))
				}
			}
		}
	}
}
