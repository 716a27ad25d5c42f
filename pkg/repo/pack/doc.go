// Package pack reads and writes restic pack files (docs/format.md §5): sealed blobs
// back to back from offset 0, then a sealed header listing them, then the
// header's length as a little-endian uint32.
//
// The Writer streams to an io.Writer and hashes while writing, so the pack
// ID is known when Finalize returns. Readers work on an io.ReaderAt plus
// the file size, as a backend range read would provide. The package never
// talks to storage.
package pack
