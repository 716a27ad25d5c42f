// Package snapcopy copies snapshots from one repository into another, as
// restic's copy does: the destination gets the snapshot's trees and data
// blobs it lacks, re-encrypted with its own key, then an index, then the
// snapshot, with "original" naming the source's first version.
//
// A blob's ID is the SHA-256 of its plaintext, so a blob keeps its ID in
// every repository: what the destination already has is never read from
// the source. Tree blobs are copied as stored, byte for byte, so that the
// snapshot's tree ID stays valid. Data blobs are not cut again: with the
// destination's own chunker polynomial they copy just as well, but later
// backups into the destination cut the same files differently and share
// nothing with the copies (init --copy-chunker-params avoids that).
//
// Each snapshot is copied in a repository write scope of its own
// (Repository.WithBlobSaver): its blobs are packed and indexed before its
// snapshot file is written, so a copy that fails or is interrupted leaves
// no snapshot pointing at missing data. Packs uploaded before the failure
// are either in an index file (the next run then skips their blobs) or in
// none (the next run copies those blobs again, and prune removes the
// orphaned packs); either way the next run completes the copy.
//
// A snapshot is skipped when the destination already holds it. The rule is
// restic's: a destination snapshot whose ID or "original" is the source
// snapshot's "original" (else its ID), and whose time, tree, host, user,
// uid, gid, paths and tags (as sets) and excludes (in order) are the
// same. parent, program_version and summary are not compared.
package snapcopy
