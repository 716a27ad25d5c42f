package checker

import (
	"errors"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Sentinels carried by the typed errors below; test with errors.Is. A blob
// that a tree refers to but no index knows wraps repo.ErrBlobNotFound.
var (
	// ErrPackMissing: an index describes a pack the backend does not have.
	ErrPackMissing = errors.New("pack is indexed but does not exist")
	// ErrPackSizeMismatch: the stored pack file's size differs from the
	// size its index entries imply (docs/format.md §6.4).
	ErrPackSizeMismatch = errors.New("unexpected pack file size")
	// ErrPackHash: the pack's SHA-256 is not its name.
	ErrPackHash = errors.New("pack content does not match its name")
	// ErrHeaderMismatch: the pack header and the index disagree.
	ErrHeaderMismatch = errors.New("pack header does not match the index")
	// ErrIndexInconsistent: index entries for a pack overlap, leave gaps,
	// or differ between index files.
	ErrIndexInconsistent = errors.New("inconsistent index entries")
)

// IndexError is an index file that cannot be loaded or decoded.
type IndexError struct {
	File format.ID
	Err  error
}

func (e *IndexError) Error() string { return fmt.Sprintf("index %v: %v", e.File, e.Err) }

// Unwrap returns the cause.
func (e *IndexError) Unwrap() error { return e.Err }

// PackError is a problem with one pack, and with one blob in it if Blob is
// set.
type PackError struct {
	Pack format.ID
	Blob *format.BlobHandle
	Err  error
}

func (e *PackError) Error() string {
	if e.Blob != nil {
		return fmt.Sprintf("pack %v: blob %v/%v: %v", e.Pack, e.Blob.Type, e.Blob.ID, e.Err)
	}
	return fmt.Sprintf("pack %v: %v", e.Pack, e.Err)
}

// Unwrap returns the cause.
func (e *PackError) Unwrap() error { return e.Err }

// SnapshotError is a snapshot file that cannot be loaded or decoded.
type SnapshotError struct {
	Snapshot format.ID
	Err      error
}

func (e *SnapshotError) Error() string { return fmt.Sprintf("snapshot %v: %v", e.Snapshot, e.Err) }

// Unwrap returns the cause.
func (e *SnapshotError) Unwrap() error { return e.Err }

// TreeError is a tree that cannot be loaded or is invalid, or a blob it
// refers to that is not indexed. Path is where the tree (or, for a missing
// blob, the file) sits in Snapshot, the first snapshot found to reach it.
type TreeError struct {
	Tree     format.ID
	Snapshot format.ID
	Path     string
	Err      error
}

func (e *TreeError) Error() string {
	return fmt.Sprintf("tree %v (%s in snapshot %v): %v", e.Tree.Str(), e.Path, e.Snapshot.Str(), e.Err)
}

// Unwrap returns the cause.
func (e *TreeError) Unwrap() error { return e.Err }
