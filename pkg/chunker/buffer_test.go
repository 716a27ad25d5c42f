package chunker_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// A Chunker that starts small grows only when a chunk needs it, never past
// the largest chunk plus 1 MiB, and keeps its buffer across Reset.
func TestBufferGrowsOnlyAsNeeded(t *testing.T) {
	pol := chunker.Pol(0x3DA3358B4DC173)
	c, err := chunker.NewChunker(nil, pol, chunker.Params{}, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		rand.New(rand.NewSource(int64(n))).Read(b)
		return b
	}
	full := chunker.MaxSize + 1<<20
	for _, tc := range []struct {
		name       string
		data       []byte
		wantBuffer int
	}{
		{"fits", random(50 << 10), 64 << 10},
		{"a little more", random(100 << 10), 128 << 10},
		{"big", random(40 << 20), full},
		{"zeros: every chunk is as large as can be", make([]byte, 20<<20), full},
		{"small after big", random(10), full},
	} {
		c.Reset(bytes.NewReader(tc.data))
		var got []byte
		for {
			ch, err := c.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ch.Data...)
		}
		if !bytes.Equal(got, tc.data) {
			t.Fatalf("%s: chunks do not add up to the input", tc.name)
		}
		if c.BufferSize() != tc.wantBuffer {
			t.Errorf("%s: buffer %d bytes, want %d", tc.name, c.BufferSize(), tc.wantBuffer)
		}
	}
	if _, err := chunker.NewChunker(nil, pol, chunker.Params{}, []byte{}); err == nil {
		t.Error("an empty buffer was accepted")
	}
}
