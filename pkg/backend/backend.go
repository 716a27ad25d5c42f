package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Backend stores the files of one repository. All methods are safe for
// concurrent use. Errors wrap the sentinels in this package (ErrNotExist,
// ErrPermission, ErrLocationMissing, ErrInvalidHandle, ErrRange) where they
// apply; IsTransient tells whether retrying may help.
type Backend interface {
	// Save stores the Length() bytes of rd under h. Save rewinds rd before
	// reading it, so a caller (or a retry layer) may pass the same rd again
	// after a failure. A failed or cancelled Save never leaves a partial file
	// under h: either the complete new content is stored or h is unchanged.
	// Saving a name that already exists replaces it atomically; since names
	// are content hashes this only happens with identical content, except
	// for the config file, whose uniqueness is the caller's business.
	Save(ctx context.Context, h Handle, rd RewindReader) error

	// Load calls fn with a reader over the bytes [offset, offset+length) of
	// h; length 0 means up to the end of the file. The range must lie inside
	// the file (an empty file can only be loaded with offset 0, length 0),
	// otherwise Load fails with ErrRange before calling fn. The reader is only
	// valid during fn; Load closes it. fn may be called again if a retry
	// layer decides to retry, so it must not keep state across calls. An
	// error returned by fn is returned by Load (wrapped).
	Load(ctx context.Context, h Handle, length int, offset int64, fn func(rd io.Reader) error) error

	// Stat returns the size of h in bytes, or an error wrapping ErrNotExist.
	Stat(ctx context.Context, h Handle) (int64, error)

	// List calls fn for every file of type t with its name and size, in no
	// particular order. Only names that are valid IDs (64 lowercase hex
	// characters) are reported; for packs only files inside the two-hex
	// subdirectories of data/ count. A missing directory lists nothing. If fn
	// returns an error, List stops and returns it. t must not be ConfigFile.
	List(ctx context.Context, t FileType, fn func(name string, size int64) error) error

	// Remove deletes h. Removing a file that does not exist is not an error,
	// so a retried Remove is idempotent.
	Remove(ctx context.Context, h Handle) error

	// Close releases resources held by the backend. It does not block on
	// the network.
	Close() error
}

// NameLister is implemented by backends whose listing costs more with
// sizes than without: a local directory stats each file for its size.
// ListNames is List without the sizes; callers that need only names (the
// repository's ID listings) use it where a backend has it.
type NameLister interface {
	ListNames(ctx context.Context, t FileType, fn func(name string) error) error
}

// ListNames lists the names of be's files of type t: through its
// ListNames where it is a NameLister, else through List.
func ListNames(ctx context.Context, be Backend, t FileType, fn func(name string) error) error {
	if nl, ok := be.(NameLister); ok {
		return nl.ListNames(ctx, t, fn)
	}
	return be.List(ctx, t, func(name string, _ int64) error { return fn(name) })
}

// Unwrapper is implemented by decorators; Unwrap returns the Backend they
// wrap.
type Unwrapper interface {
	Unwrap() Backend
}

// FileSaver is implemented by backends that can adopt a file written in
// place instead of copying it: the local backend gives packs a file on the
// repository's own file system and links it under its name once complete,
// which saves writing (and reading) every pack a second time. Backends
// without it, and a SaveFile that fails, use Save.
type FileSaver interface {
	// CreateFile returns an empty file on the backend's storage that has
	// no name yet: nothing is left behind if the process dies.
	CreateFile() (*os.File, error)
	// SaveFile makes the complete content of f, a file from CreateFile,
	// the file h, as durably and atomically as Save would. f stays open.
	// Only an error wrapping ErrNotAdopted leaves f intact for Save; any
	// other (a failed fsync: the kernel may have dropped the data) means
	// the content can no longer be trusted.
	SaveFile(ctx context.Context, h Handle, f *os.File) error
}

// ErrNotAdopted is returned by SaveFile when the file could not be given
// its name but its content is durable and intact: copy it with Save.
var ErrNotAdopted = errors.New("file not adopted")

// AsFileSaver returns be, or the first backend it wraps, as a FileSaver.
func AsFileSaver(be Backend) (FileSaver, bool) {
	for {
		if fs, ok := be.(FileSaver); ok {
			return fs, true
		}
		u, ok := be.(Unwrapper)
		if !ok {
			return nil, false
		}
		be = u.Unwrap()
	}
}

// PackCache is implemented by a local cache in front of a backend
// (package cache). The repository calls CachePacks after every index it
// loads, with the names of the packs that hold trees: the cache keeps
// those whole once read, and deletes any other pack it holds.
type PackCache interface {
	CachePacks(names map[string]struct{})
}

// AsPackCache returns be, or the first backend it wraps, as a PackCache.
func AsPackCache(be Backend) (PackCache, bool) {
	for {
		if pc, ok := be.(PackCache); ok {
			return pc, true
		}
		u, ok := be.(Unwrapper)
		if !ok {
			return nil, false
		}
		be = u.Unwrap()
	}
}

// FileType is the kind of a repository file.
type FileType uint8

// The file types of a restic repository.
const (
	ConfigFile FileType = iota + 1
	KeyFile
	PackFile
	IndexFile
	SnapshotFile
	LockFile
)

// ListableTypes are the file types that List accepts, in layout order.
var ListableTypes = []FileType{KeyFile, PackFile, IndexFile, SnapshotFile, LockFile}

// String returns a short lowercase name for messages: "config", "key",
// "pack", "index", "snapshot", "lock".
func (t FileType) String() string {
	switch t {
	case ConfigFile:
		return "config"
	case KeyFile:
		return "key"
	case PackFile:
		return "pack"
	case IndexFile:
		return "index"
	case SnapshotFile:
		return "snapshot"
	case LockFile:
		return "lock"
	}
	return fmt.Sprintf("FileType(%d)", uint8(t))
}

// Handle names one file of a repository. For ConfigFile, Name must be empty;
// for every other type it is the file's ID as 64 lowercase hex characters.
type Handle struct {
	Type FileType
	Name string
}

// Validate reports whether h names a file that can exist in the layout. The
// error wraps ErrInvalidHandle.
func (h Handle) Validate() error {
	switch h.Type {
	case ConfigFile:
		if h.Name != "" {
			return fmt.Errorf("%w: config handle must have an empty name, not %q", ErrInvalidHandle, h.Name)
		}
		return nil
	case KeyFile, PackFile, IndexFile, SnapshotFile, LockFile:
		if !IsValidID(h.Name) {
			return fmt.Errorf("%w: %s name %q is not 64 lowercase hex characters", ErrInvalidHandle, h.Type, h.Name)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown file type %d", ErrInvalidHandle, uint8(h.Type))
}

// String returns the layout path of h ("data/3f/3f2a…") for messages, or a
// description if h is invalid.
func (h Handle) String() string {
	if h.Validate() != nil {
		return fmt.Sprintf("<%s %q>", h.Type, h.Name)
	}
	return Path(h)
}

// IsValidID reports whether s is 64 lowercase hex characters, the only kind
// of name restic accepts for repository files other than config.
func IsValidID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
