package crypto_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
)

// readBox reads a whole box through a BoxReader: its plaintext and what
// Verify said.
func readBox(t *testing.T, k *crypto.Key, r io.Reader, size int64) ([]byte, error) {
	t.Helper()
	b, err := k.NewBoxReader(r, size)
	if err != nil {
		return nil, err
	}
	plain, err := io.ReadAll(b)
	if err != nil {
		return plain, err
	}
	return plain, b.Verify()
}

// TestBoxReaderMatchesOpen: a box read as a stream, in whole or in
// one-byte reads, gives the plaintext Open gives and verifies; with any
// one bit flipped it does not.
func TestBoxReaderMatchesOpen(t *testing.T) {
	k, err := crypto.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 300 << 10} {
		plain := bytes.Repeat([]byte("drydock!"), n/8+1)[:n]
		box, err := k.SealBox(nil, plain)
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(box),
			"one byte": iotest.OneByteReader(bytes.NewReader(box)),
		} {
			got, err := readBox(t, k, r, int64(len(box)))
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("%d bytes, %s: %d bytes back, %v", n, name, len(got), err)
			}
		}
		step := max(1, len(box)/97) // every byte of small boxes, a sample of big ones
		for i := 0; i < len(box); i += step {
			bad := bytes.Clone(box)
			bad[i] ^= 0x10
			if _, err := readBox(t, k, bytes.NewReader(bad), int64(len(bad))); err == nil {
				t.Fatalf("%d bytes: box with byte %d flipped verifies", n, i)
			}
		}
	}
}

// TestBoxReaderShortStream: a stream that ends inside the box is a read
// error, io.ErrUnexpectedEOF, not a failed authentication.
func TestBoxReaderShortStream(t *testing.T) {
	k, err := crypto.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := k.SealBox(nil, []byte("a blob of some length"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 5, crypto.IVSize + 3, len(box) - 1} {
		_, err := readBox(t, k, bytes.NewReader(box[:cut]), int64(len(box)))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("box cut at %d of %d: %v, want io.ErrUnexpectedEOF", cut, len(box), err)
		}
	}
	if _, err := k.NewBoxReader(bytes.NewReader(box), crypto.Extension-1); !errors.Is(err, crypto.ErrInvalidCiphertext) {
		t.Errorf("box size below the IV and tag: %v", err)
	}
}
