package pack

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// maxCopyBuffer bounds the buffer VerifyBlob hashes an uncompressed blob
// through.
const maxCopyBuffer = 64 << 10

// VerifyBlob reads the b.Length sealed bytes of b from r and reports
// whether they are that blob: authenticated, decoded to its length and
// hashing to its ID. Unlike OpenBlob it holds none of the blob: the
// plaintext is hashed as it is decrypted and decompressed, before the
// tag at the end is read, so all it returns is the verdict (check's
// --read-data, whose memory was the blobs it held). A *BlobError means
// the bytes are not the blob; any other error is r's (io.ErrUnexpectedEOF
// if it ended inside the blob).
func VerifyBlob(key *crypto.Key, r io.Reader, b Blob) error {
	fail := func(err error) error { return &BlobError{Blob: b, Err: err} }
	box, err := key.NewBoxReader(r, int64(b.Length))
	if errors.Is(err, crypto.ErrInvalidCiphertext) || errors.Is(err, crypto.ErrZeroIV) {
		return fail(err)
	}
	if err != nil {
		return err
	}
	h := sha256.New()
	var n int64
	if b.IsCompressed() {
		n, err = compress.DecodeStream(h, box, int64(b.UncompressedLength))
	} else {
		n, err = io.CopyBuffer(h, box, make([]byte, min(maxCopyBuffer, max(int(b.Length), 1))))
	}
	if rerr := box.Err(); rerr != nil {
		return rerr
	}
	if err != nil {
		return fail(err)
	}
	if err := box.Verify(); err != nil {
		if rerr := box.Err(); rerr != nil {
			return rerr
		}
		return fail(err)
	}
	if n != int64(b.PlaintextLength()) {
		return fail(fmt.Errorf("decoded %d bytes, header says %d", n, b.PlaintextLength()))
	}
	if format.ID(h.Sum(nil)) != b.ID {
		return fail(ErrIDMismatch)
	}
	return nil
}
