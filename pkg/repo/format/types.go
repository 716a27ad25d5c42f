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

// FileType is the kind of a repository file; it determines its directory.
type FileType uint8

// File types, one per repository directory.
const (
	FileConfig FileType = iota + 1
	FileKey
	FilePack
	FileIndex
	FileSnapshot
	FileLock
)

// String returns the restic name of the file type.
func (t FileType) String() string {
	switch t {
	case FileConfig:
		return "config"
	case FileKey:
		return "key"
	case FilePack:
		return "pack"
	case FileIndex:
		return "index"
	case FileSnapshot:
		return "snapshot"
	case FileLock:
		return "lock"
	}
	return fmt.Sprintf("FileType(%d)", uint8(t))
}

// Dir returns the repository directory holding files of this type
// ("" for config, which sits at the root).
func (t FileType) Dir() string {
	switch t {
	case FileKey:
		return "keys"
	case FilePack:
		return "data"
	case FileIndex:
		return "index"
	case FileSnapshot:
		return "snapshots"
	case FileLock:
		return "locks"
	}
	return ""
}

// Compressed reports whether files of this type get the v2 0x02+zstd
// encoding. Config and key files never do; packs compress per blob.
func (t FileType) Compressed() bool {
	return t == FileIndex || t == FileSnapshot || t == FileLock
}
