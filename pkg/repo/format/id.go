package format

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// IDSize is the length of an ID in bytes.
const IDSize = sha256.Size

// ID is a SHA-256 value naming a blob or a repository file.
type ID [IDSize]byte

// ErrInvalidID is returned for malformed hexadecimal IDs.
var ErrInvalidID = errors.New("invalid ID")

// Hash returns the SHA-256 of data as an ID.
func Hash(data []byte) ID { return sha256.Sum256(data) }

// ParseID parses exactly 64 hex characters (either case).
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*IDSize {
		return id, fmt.Errorf("%w %q: want %d hex characters, got %d", ErrInvalidID, s, 2*IDSize, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("%w %q: %v", ErrInvalidID, s, err)
	}
	return id, nil
}

// String returns the 64-character lowercase hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Str returns the short 8-character form used in messages.
func (id ID) Str() string { return hex.EncodeToString(id[:4]) }

// IsNull reports whether id is all zero (the "no ID" value).
func (id ID) IsNull() bool { return id == ID{} }

// MarshalText encodes id as 64 lowercase hex characters; JSON uses it too.
func (id ID) MarshalText() ([]byte, error) {
	b := make([]byte, 2*IDSize)
	hex.Encode(b, id[:])
	return b, nil
}

// UnmarshalText decodes exactly 64 hex characters (restic checks the length
// too, so a shorter or longer string is corrupt data, not a prefix).
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) != 2*IDSize {
		return fmt.Errorf("%w: want %d hex characters, got %d", ErrInvalidID, 2*IDSize, len(b))
	}
	var tmp ID
	if _, err := hex.Decode(tmp[:], b); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidID, err)
	}
	*id = tmp
	return nil
}

// IDs is an ordered list of IDs, e.g. a file's content. A nil IDs encodes
// as JSON null and an empty non-nil one as [] — the difference matters in
// trees (docs/format.md §8.2: files have [], every other node type null).
type IDs []ID

// MarshalJSON encodes id as a JSON string of 64 lowercase hex characters.
func (id ID) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2*IDSize+2)
	b = append(b, '"')
	b = hex.AppendEncode(b, id[:])
	return append(b, '"'), nil
}

// UnmarshalJSON accepts only a JSON string of exactly 64 hex characters.
// Unlike a TextUnmarshaler it rejects null, as restic does: a null ID in
// an index or tree is corruption, not "no ID" (optional IDs are *ID).
func (id *ID) UnmarshalJSON(b []byte) error {
	if len(b) != 2*IDSize+2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("%w: want a %d-character hex string, got %.80q", ErrInvalidID, 2*IDSize, b)
	}
	return id.UnmarshalText(b[1 : len(b)-1])
}
