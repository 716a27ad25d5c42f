package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// SealOverhead is what sealing adds to a blob (IV + MAC): the smallest
// possible stored blob.
const SealOverhead = 32

// MaxIndexBlobs is how many blobs our writer puts in one index file (the
// restic 0.17+ rule; docs/format.md §6.2). A pack is never split, so a file may exceed it
// only when a single pack holds more blobs.
const MaxIndexBlobs = 50000

var (
	// ErrOldIndexFormat is returned for the pre-0.8 top-level array index
	// format, which restic 0.18+ rejects too.
	ErrOldIndexFormat = errors.New("old index format (top-level JSON array) is not supported; run `drydock repair index`")
	// ErrV1Compression is returned when a v1 repository's index uses
	// compression, which restic refuses as well.
	ErrV1Compression = errors.New("index uses compression, which repository version 1 does not support")
)

// Index is an index/<id> document. restic's "supersedes" field is dead
// since 0.17; it is ignored on read and never written.
type Index struct {
	Packs []IndexPack `json:"packs"`
}

// IndexPack lists every blob of one pack.
type IndexPack struct {
	ID    ID          `json:"id"`
	Blobs []IndexBlob `json:"blobs"`
}

// IndexBlob locates one blob inside a pack. UncompressedLength is non-zero
// exactly for compressed blobs (header types 2/3).
type IndexBlob struct {
	ID                 ID       `json:"id"`
	Type               BlobType `json:"type"`
	Offset             uint32   `json:"offset"`
	Length             uint32   `json:"length"`
	UncompressedLength uint32   `json:"uncompressed_length,omitempty"`
}

// EncodeIndex returns the JSON plaintext of idx, with the trailing newline
// restic's json.Encoder adds.
func EncodeIndex(idx *Index) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(idx); err != nil {
		return nil, fmt.Errorf("encode index: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeIndex parses an index plaintext (already decompressed) for a
// repository of the given version and checks every entry's bounds.
func DecodeIndex(data []byte, version uint) (*Index, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		return nil, ErrOldIndexFormat
	}
	idx, ok := decodeIndexFast(data)
	if !ok {
		idx = &Index{}
		if err := json.Unmarshal(data, idx); err != nil {
			return nil, fmt.Errorf("decode index: %w", err)
		}
	}
	for i := range idx.Packs {
		p := &idx.Packs[i]
		for j := range p.Blobs {
			if err := p.Blobs[j].validate(version); err != nil {
				return nil, fmt.Errorf("decode index: pack %v blob %d: %w", p.ID, j, err)
			}
		}
	}
	return idx, nil
}

func (b *IndexBlob) validate(version uint) error {
	if b.Type != DataBlob && b.Type != TreeBlob {
		return fmt.Errorf("blob %v: missing or invalid type", b.ID)
	}
	if b.Length < SealOverhead {
		return fmt.Errorf("blob %v: length %d is below the %d-byte sealing overhead", b.ID, b.Length, SealOverhead)
	}
	if uint64(b.Offset)+uint64(b.Length) > math.MaxUint32 {
		return fmt.Errorf("blob %v: offset %d + length %d overflows 32 bits", b.ID, b.Offset, b.Length)
	}
	if b.UncompressedLength != 0 && version < Version2 {
		return ErrV1Compression
	}
	return nil
}
