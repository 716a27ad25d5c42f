package format

import (
	"fmt"
)

// BlobType distinguishes file content from directory listings.
type BlobType uint8

const (
	// InvalidBlob is the zero value; it never appears in a valid repository.
	InvalidBlob BlobType = iota
	// DataBlob holds a chunk of file content.
	DataBlob
	// TreeBlob holds a serialized Tree.
	TreeBlob
)

// String returns the JSON spelling ("data", "tree").
func (t BlobType) String() string {
	switch t {
	case DataBlob:
		return "data"
	case TreeBlob:
		return "tree"
	}
	return fmt.Sprintf("invalid blob type %d", uint8(t))
}

// MarshalText implements encoding.TextMarshaler.
func (t BlobType) MarshalText() ([]byte, error) {
	if t != DataBlob && t != TreeBlob {
		return nil, fmt.Errorf("cannot encode blob type %d", uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *BlobType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "data":
		*t = DataBlob
	case "tree":
		*t = TreeBlob
	default:
		return fmt.Errorf("invalid blob type %q", b)
	}
	return nil
}

// BlobHandle names a blob: the same bytes stored as data and as tree are
// two different blobs.
type BlobHandle struct {
	ID   ID
	Type BlobType
}

func (h BlobHandle) String() string { return h.Type.String() + "/" + h.ID.Str() }
