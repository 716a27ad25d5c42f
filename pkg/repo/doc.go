// Package repo is a restic repository: Init and Open (key files, config),
// the in-memory index, loading blobs and the unpacked files (index,
// snapshot, lock), saving blobs into packs with the pack -> index ->
// snapshot write order (WithBlobSaver), and restic's lock protocol.
//
// It is built on the codec packages below it (format, compress, crypto,
// pack, index) and on backend; it knows nothing of what is backed up.
package repo
