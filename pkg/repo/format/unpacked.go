package format

import (
	"errors"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
)

// versionZstd prefixes v2 plaintexts that hold a zstd frame.
const versionZstd = 0x02

// MaxUnpackedSize bounds the decompressed size of one index, snapshot or
// lock document, so a corrupt file cannot exhaust memory.
const MaxUnpackedSize = 1 << 30

// ErrUnknownEncoding is returned for a v2 plaintext that starts with
// neither '{', '[' nor 0x02.
var ErrUnknownEncoding = errors.New("unsupported encoding format")

// EncodeUnpacked wraps a JSON document for storage as an index, snapshot or
// lock file of a repository of the given version (docs/format.md §4.1): v1 stores the JSON
// as is, v2 as 0x02 followed by one zstd frame. The result still has to be
// sealed. Config and key files must not go through this.
func EncodeUnpacked(version uint, doc []byte, m compress.Mode) ([]byte, error) {
	switch version {
	case Version1:
		return doc, nil
	case Version2:
		out := make([]byte, 1, 1+len(doc)/2+64)
		out[0] = versionZstd
		return compress.Encode(out, doc, m), nil
	}
	return nil, fmt.Errorf("%w %d", ErrUnsupportedVersion, version)
}

// DecodeUnpacked returns the JSON document inside an opened (decrypted)
// index, snapshot or lock file.
func DecodeUnpacked(version uint, plaintext []byte) ([]byte, error) {
	switch version {
	case Version1:
		return plaintext, nil
	case Version2:
	default:
		return nil, fmt.Errorf("%w %d", ErrUnsupportedVersion, version)
	}
	if len(plaintext) == 0 {
		return plaintext, nil
	}
	switch plaintext[0] {
	case '{', '[':
		return plaintext, nil
	case versionZstd:
		out, err := compress.Decode(nil, plaintext[1:], MaxUnpackedSize)
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: first byte 0x%02x", ErrUnknownEncoding, plaintext[0])
}
