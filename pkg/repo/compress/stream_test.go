package compress_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/klauspost/compress/zstd"
)

// TestDecodeStream: DecodeStream gives what Decode gives, for one frame
// and for frames one after another, read whole or a byte at a time, and
// refuses what Decode refuses.
func TestDecodeStream(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	text := bytes.Repeat([]byte("a blob of text, "), 200000) // 3.2 MB, beyond one window
	two := compress.Encode(compress.Encode(nil, []byte("first"), compress.ModeAuto), []byte("second"), compress.ModeAuto)
	for _, tc := range []struct {
		name string
		z    []byte
		want []byte
	}{
		{"empty", compress.Encode(nil, nil, compress.ModeAuto), nil},
		{"random", compress.Encode(nil, random, compress.ModeAuto), random},
		{"text", compress.Encode(nil, text, compress.ModeMax), text},
		{"two frames", two, []byte("firstsecond")},
	} {
		for _, oneByte := range []bool{false, true} {
			var out bytes.Buffer
			r := bytes.NewReader(tc.z)
			var n int64
			var err error
			if oneByte {
				n, err = compress.DecodeStream(&out, iotest.OneByteReader(r), int64(len(tc.want)))
			} else {
				n, err = compress.DecodeStream(&out, r, int64(len(tc.want)))
			}
			if err != nil || !bytes.Equal(out.Bytes(), tc.want) || n != int64(len(tc.want)) {
				t.Errorf("%s (one byte %v): %d bytes, %v", tc.name, oneByte, n, err)
			}
		}
		if len(tc.want) > 0 {
			_, err := compress.DecodeStream(&bytes.Buffer{}, bytes.NewReader(tc.z), int64(len(tc.want)-1))
			if !errors.Is(err, compress.ErrTooLarge) {
				t.Errorf("%s, limit one byte short: %v, want ErrTooLarge", tc.name, err)
			}
		}
	}
	// A frame with a window above 1 MiB is refused, not misread; Decode
	// reads it when its limit allows the window.
	w, err := zstd.NewWriter(nil, zstd.WithWindowSize(4<<20), zstd.WithSingleSegment(false), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	wide := w.EncodeAll(text, nil)
	if _, err := compress.DecodeStream(&bytes.Buffer{}, bytes.NewReader(wide), int64(len(text))); !errors.Is(err, compress.ErrWindowTooLarge) {
		t.Errorf("frame with a 4 MiB window: %v, want ErrWindowTooLarge", err)
	}
	if out, err := compress.Decode(nil, wide, int64(len(text))); err != nil || !bytes.Equal(out, text) {
		t.Errorf("Decode of the frame with a 4 MiB window: %v", err)
	}
	for name, z := range map[string][]byte{
		"garbage":        []byte("not zstd at all"),
		"cut short":      compress.Encode(nil, random, compress.ModeAuto)[:1000],
		"trailing bytes": append(compress.Encode(nil, text, compress.ModeAuto), "junk"...),
	} {
		if _, err := compress.DecodeStream(&bytes.Buffer{}, bytes.NewReader(z), 0); err == nil {
			t.Errorf("%s decoded without an error", name)
		}
		if _, err := compress.Decode(nil, z, 0); err == nil {
			t.Errorf("%s: Decode took it too", name)
		}
	}
}
