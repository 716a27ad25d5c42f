// Package format is the vocabulary of a restic-compatible repository: object
// IDs, blob and file types, and the JSON documents stored in it (config, key
// file, index, snapshot, tree and node, lock), plus the "unpacked file"
// codec that wraps index, snapshot and lock documents.
//
// Everything here works on byte slices; there is no I/O and no encryption.
// Struct field order and JSON tags mirror restic exactly, because tree blob
// IDs are hashes of the serialized bytes: emitting the same bytes as restic
// lets our snapshots deduplicate against restic's (see the repository format
// spec, docs/format.md §8).
package format
