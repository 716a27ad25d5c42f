package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 restic's MAC is Poly1305-AES; there is no other implementation to use.
)

// BoxReader reads one sealed box (IV ‖ ciphertext ‖ tag) of a known size
// from a stream without holding it: Read returns the plaintext as the
// ciphertext passes, before it is authenticated, and Verify, once Read
// has returned io.EOF, reads the tag and reports whether the box was
// genuine. That order is only for work whose every result is discarded
// unless Verify returns nil (check hashing a blob it does not keep);
// anything that uses the plaintext must use Open, which authenticates
// first.
type BoxReader struct {
	r    io.Reader
	left int64 // ciphertext bytes not read yet
	mac  *poly1305.MAC
	ctr  cipher.Stream
	err  error // the first error of r
}

// NewBoxReader reads the IV of a box of size bytes from r.
func (k *Key) NewBoxReader(r io.Reader, size int64) (*BoxReader, error) {
	if size < Extension {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrInvalidCiphertext, size, Extension)
	}
	b := &BoxReader{r: r, left: size - Extension}
	var iv [IVSize]byte
	if err := b.readFull(iv[:]); err != nil {
		return nil, err
	}
	if isZero(iv[:]) {
		return nil, ErrZeroIV
	}
	block, err := aes.NewCipher(k.EncryptionKey[:])
	if err != nil {
		panic(err) // 32-byte key: unreachable
	}
	b.ctr = cipher.NewCTR(block, iv[:])
	b.mac = poly1305.New(k.MACKey.polyKey(iv[:]))
	return b, nil
}

// Read implements io.Reader: the next plaintext bytes, unauthenticated.
func (b *BoxReader) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	_, _ = b.mac.Write(p[:n])
	b.ctr.XORKeyStream(p[:n], p[:n])
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF {
		err = nil
	}
	if err != nil && b.err == nil {
		b.err = err
	}
	return n, err
}

// Verify reads the tag after the ciphertext, which must have been read
// whole, and returns nil if the box is genuine, ErrUnauthenticated if it
// is not, or the stream's error.
func (b *BoxReader) Verify() error {
	if b.err != nil {
		return b.err
	}
	if b.left != 0 {
		return fmt.Errorf("crypto: verify with %d ciphertext bytes unread", b.left)
	}
	var tag [MACSize]byte
	if err := b.readFull(tag[:]); err != nil {
		return err
	}
	if !b.mac.Verify(tag[:]) {
		return ErrUnauthenticated
	}
	return nil
}

// Err returns the first error reading the stream (not a failed
// authentication): a truncated stream is io.ErrUnexpectedEOF.
func (b *BoxReader) Err() error { return b.err }

func (b *BoxReader) readFull(p []byte) error {
	if _, err := io.ReadFull(b.r, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return err
	}
	return nil
}
