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

// VerifyBuffer is the size of the buffer VerifyBlob hashes an
// uncompressed blob through.
const VerifyBuffer = 64 << 10

// VerifyBlob reads the b.Length sealed bytes of b from r and reports
// whether they are that blob: authenticated, decoded to its length and
// hashing to its ID. Unlike OpenBlob it holds none of the blob: the
// plaintext is hashed as it is decrypted and decompressed, before the
// tag at the end is read, so all it returns is the verdict (check's
// --read-data, whose memory was the blobs it held). A *BlobError means
// the bytes are not the blob; any other error is r's (io.ErrUnexpectedEOF
// if it ended inside the blob). buf, if not nil, is the buffer to hash
// through (VerifyBuffer bytes serve any blob): one per caller spares the
// collector one for every blob.
func VerifyBlob(key *crypto.Key, r io.Reader, b Blob, buf []byte) error {
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
		if len(buf) == 0 {
			buf = make([]byte, min(VerifyBuffer, max(int(b.Length), 1)))
		}
		n, err = io.CopyBuffer(h, box, buf)
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
