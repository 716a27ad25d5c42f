package pack_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
	"github.com/klauspost/compress/zstd"
)

// sealedBlob packs plain alone and returns its header entry and sealed
// bytes.
func sealedBlob(t *testing.T, plain []byte, compressed bool) (pack.Blob, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pack.NewWriter(&buf, specKey(t), pack.Options{Version: 2, Rand: &ivSource{next: 1}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Add(format.DataBlob, format.Hash(plain), plain, compressed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finalize(); err != nil {
		t.Fatal(err)
	}
	return b, buf.Bytes()[b.Offset : b.Offset+b.Length]
}

// TestVerifyBlob: VerifyBlob passes a blob OpenBlob opens, and gives a
// *BlobError wherever OpenBlob refuses it: a flipped byte, the wrong ID,
// the wrong length; a stream that ends inside the blob is the stream's
// error instead.
func TestVerifyBlob(t *testing.T) {
	key := specKey(t)
	rnd := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	text := bytes.Repeat([]byte("some text to squeeze "), 50000)
	for _, tc := range []struct {
		name       string
		plain      []byte
		compressed bool
	}{
		{"random", random, false},
		{"random compressed", random, true},
		{"text compressed", text, true},
		{"one byte", []byte{7}, false},
		{"empty", nil, false},
	} {
		b, sealed := sealedBlob(t, tc.plain, tc.compressed)
		for name, r := range map[string]io.Reader{"whole": bytes.NewReader(sealed), "one byte": iotest.OneByteReader(bytes.NewReader(sealed))} {
			if err := pack.VerifyBlob(key, r, b, nil); err != nil {
				t.Errorf("%s, read %s: %v", tc.name, name, err)
			}
		}
		bad := func(what string, sealed []byte, b pack.Blob) {
			t.Helper()
			_, _, openErr := pack.OpenBlobWithin(key, nil, bytes.Clone(sealed), b)
			err := pack.VerifyBlob(key, bytes.NewReader(sealed), b, make([]byte, 7))
			var be *pack.BlobError
			if openErr == nil || !errors.As(err, &be) || !errors.Is(err, pack.ErrCorrupt) {
				t.Errorf("%s, %s: verified %v, opened %v; want both to fail, the first with a BlobError", tc.name, what, err, openErr)
			}
		}
		for _, i := range []int{0, 15, 16, len(sealed) / 2, len(sealed) - 17, len(sealed) - 1} {
			flipped := bytes.Clone(sealed)
			flipped[i] ^= 1
			bad(fmt.Sprintf("byte %d flipped", i), flipped, b)
		}
		wrongID := b
		wrongID.ID[0] ^= 1
		bad("wrong ID", sealed, wrongID)
		if tc.compressed {
			longer, shorter := b, b
			longer.UncompressedLength++
			shorter.UncompressedLength--
			bad("uncompressed length one more", sealed, longer)
			if shorter.UncompressedLength > 0 {
				bad("uncompressed length one less", sealed, shorter)
			}
		}
		err := pack.VerifyBlob(key, bytes.NewReader(sealed[:len(sealed)-1]), b, nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, new(*pack.BlobError)) {
			t.Errorf("%s, one byte short: %v, want io.ErrUnexpectedEOF alone", tc.name, err)
		}
	}
}

// TestVerifyBlobWideWindows: a blob whose zstd frame declares a window
// other writers would not use passes VerifyBlob only if OpenBlobWithin
// opens it too: check may call clean only what restore can read.
func TestVerifyBlobWideWindows(t *testing.T) {
	key := specKey(t)
	plain := bytes.Repeat([]byte("twelve thousand bytes "), 546)[:12000]
	var frame bytes.Buffer
	enc, err := zstd.NewWriter(&frame, zstd.WithWindowSize(8<<20), zstd.WithSingleSegment(false), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Write(plain); err != nil || enc.Close() != nil {
		t.Fatal(err)
	}
	z := frame.Bytes()
	if z[4]&0x20 != 0 {
		t.Fatal("the encoder wrote a single-segment frame: no window descriptor to set")
	}
	for _, window := range []int{512 << 10, 1 << 20, 2 << 20, 4 << 20, 8 << 20} {
		// The frame header's window descriptor (RFC 8878 3.1.1.1.2): the
		// exponent above 1 KiB, no mantissa. The blocks fit any of them.
		z[5] = byte(bits.Len(uint(window))-1-10) << 3
		sealed, err := key.SealBox(nil, z)
		if err != nil {
			t.Fatal(err)
		}
		b := pack.Blob{Type: format.DataBlob, ID: format.Hash(plain), Length: uint32(len(sealed)), UncompressedLength: uint32(len(plain))}
		verr := pack.VerifyBlob(key, bytes.NewReader(sealed), b, nil)
		_, _, oerr := pack.OpenBlobWithin(key, nil, bytes.Clone(sealed), b)
		if verr == nil && oerr != nil {
			t.Errorf("window %d KiB: verified, but OpenBlobWithin says %v", window>>10, oerr)
		}
		if window <= 1<<20 && verr != nil {
			t.Errorf("window %d KiB: %v", window>>10, verr)
		}
	}
}
