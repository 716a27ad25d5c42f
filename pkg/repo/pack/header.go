package pack

import (
	"encoding/binary"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Header entry type bytes (docs/format.md §5.2).
const (
	typeData           = 0
	typeTree           = 1
	typeDataCompressed = 2
	typeTreeCompressed = 3
)

const (
	// EntrySize is the header entry size of an uncompressed blob:
	// type(1) ‖ len(4) ‖ id(32).
	EntrySize = 1 + 4 + format.IDSize
	// CompressedEntrySize adds the uncompressed length (4).
	CompressedEntrySize = EntrySize + 4
	// LengthFieldSize is the trailing header-length field.
	LengthFieldSize = 4
	// MaxHeaderSize bounds sealed header plus length field (restic's limit).
	MaxHeaderSize = 16<<20 + LengthFieldSize
	// MinPackSize is the smallest valid pack: one uncompressed entry, the
	// sealing overhead and the length field (docs/format.md §5.3).
	MinPackSize = EntrySize + crypto.Extension + LengthFieldSize
	// eagerTail is how much of the file end is read in one go; it covers
	// the header of packs with up to 15 blobs, like restic.
	eagerTail = 15*CompressedEntrySize + crypto.Extension + LengthFieldSize
)

// Blob describes one blob stored in a pack.
type Blob struct {
	Type   format.BlobType
	ID     format.ID
	Offset uint32
	// Length is the stored (sealed) length, payload + 32.
	Length uint32
	// UncompressedLength is the plaintext length of a compressed blob and
	// 0 for an uncompressed one.
	UncompressedLength uint32
}

// IsCompressed reports whether the blob payload is a zstd frame.
func (b Blob) IsCompressed() bool { return b.UncompressedLength != 0 }

// PlaintextLength is the length of the blob's uncompressed content.
func (b Blob) PlaintextLength() uint32 {
	if b.IsCompressed() {
		return b.UncompressedLength
	}
	return b.Length - crypto.Extension
}

// BufferSize is the room reading and opening b takes: the larger of its
// sealed and plaintext lengths. Lengths come from an index or a header
// and may be damaged: one too short to hold a sealed blob gives 0.
func (b Blob) BufferSize() uint32 {
	if b.Length < crypto.Extension {
		return 0
	}
	return max(b.Length, b.PlaintextLength())
}

// EntrySize is the size of b's header entry (37 or 41 bytes).
func (b Blob) EntrySize() int {
	if b.IsCompressed() {
		return CompressedEntrySize
	}
	return EntrySize
}

// HeaderSize returns the sealed header length for these blobs (without the
// length field).
func HeaderSize(blobs []Blob) int64 {
	n := int64(crypto.Extension)
	for _, b := range blobs {
		n += int64(b.EntrySize())
	}
	return n
}

// Overhead is what a pack of entries blobs, compressed of them stored
// compressed, holds besides the blobs: the sealed header and the length
// field (docs/format.md §6.4). PackedSize is the blobs' lengths plus this.
func Overhead(entries, compressed int) int64 {
	return int64(crypto.Extension+LengthFieldSize) + int64(compressed)*CompressedEntrySize + int64(entries-compressed)*EntrySize
}

// PackedSize returns the exact file size of a pack holding these blobs, the
// value `restic check` compares with the stored size (docs/format.md §6.4).
func PackedSize(blobs []Blob) int64 {
	n := HeaderSize(blobs) + LengthFieldSize
	for _, b := range blobs {
		n += int64(b.Length)
	}
	return n
}

// appendEntry appends b's header entry to dst.
func appendEntry(dst []byte, b Blob) []byte {
	t := byte(typeData)
	if b.Type == format.TreeBlob {
		t = typeTree
	}
	if b.IsCompressed() {
		t += typeDataCompressed
	}
	dst = append(dst, t)
	dst = binary.LittleEndian.AppendUint32(dst, b.Length)
	if b.IsCompressed() {
		dst = binary.LittleEndian.AppendUint32(dst, b.UncompressedLength)
	}
	return append(dst, b.ID[:]...)
}

// ParseHeader decodes header plaintext into blobs with offsets assigned in
// order from 0. It checks every entry but not the pack size.
func ParseHeader(plaintext []byte) ([]Blob, error) {
	blobs := make([]Blob, 0, len(plaintext)/EntrySize)
	var off uint64
	for pos := 0; pos < len(plaintext); {
		var b Blob
		t := plaintext[pos]
		size := EntrySize
		switch t {
		case typeData, typeDataCompressed:
			b.Type = format.DataBlob
		case typeTree, typeTreeCompressed:
			b.Type = format.TreeBlob
		default:
			return nil, fmt.Errorf("header entry %d at byte %d: invalid type 0x%02x", len(blobs), pos, t)
		}
		if t >= typeDataCompressed {
			size = CompressedEntrySize
		}
		if len(plaintext)-pos < size {
			return nil, fmt.Errorf("header entry %d at byte %d: truncated (%d of %d bytes)", len(blobs), pos, len(plaintext)-pos, size)
		}
		e := plaintext[pos : pos+size]
		b.Length = binary.LittleEndian.Uint32(e[1:5])
		if size == CompressedEntrySize {
			b.UncompressedLength = binary.LittleEndian.Uint32(e[5:9])
			if b.UncompressedLength == 0 {
				return nil, fmt.Errorf("header entry %d: compressed blob with uncompressed length 0", len(blobs))
			}
		}
		copy(b.ID[:], e[size-format.IDSize:])
		if b.Length < crypto.Extension {
			return nil, fmt.Errorf("header entry %d: blob %v length %d is below %d", len(blobs), b.ID.Str(), b.Length, crypto.Extension)
		}
		if off+uint64(b.Length) > 1<<32-1 {
			return nil, fmt.Errorf("header entry %d: blob %v ends beyond 4 GiB", len(blobs), b.ID.Str())
		}
		b.Offset = uint32(off)
		off += uint64(b.Length)
		blobs = append(blobs, b)
		pos += size
	}
	return blobs, nil
}

// IndexBlob converts b to its index-file form.
func (b Blob) IndexBlob() format.IndexBlob {
	return format.IndexBlob{ID: b.ID, Type: b.Type, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
}

// CheckVersion reports an error if blobs use a feature the repository
// version lacks: compressed entries (types 2/3) need version 2.
func CheckVersion(blobs []Blob, version uint) error {
	if version >= format.Version2 {
		return nil
	}
	for _, b := range blobs {
		if b.IsCompressed() {
			return fmt.Errorf("blob %v at offset %d is compressed, which repository version %d does not support", b.ID.Str(), b.Offset, version)
		}
	}
	return nil
}
