// Package checker verifies a repository the way `restic check` does
// (docs/format.md §11.4), so that drydock can vouch for what it wrote and operators
// can check repositories that restic or drydock wrote.
//
// Check runs four steps and collects every problem instead of stopping at
// the first:
//
//  1. Load every index file on its own. A file that cannot be read,
//     decrypted or decoded is reported by name and the rest are still used.
//     Each pack's entries must tile the blob area exactly (docs/format.md §6.3); a pack
//     described by several index files is a notice, or an error if the
//     descriptions differ (restic 0.19+).
//  2. List the packs with their sizes. An indexed pack that is missing, or
//     whose size is not the one its index entries imply (docs/format.md §6.4), is an
//     error; a pack that no index describes is a notice (prune removes it).
//  3. Load every snapshot and walk every tree reachable from them once, in
//     parallel (package walk): each tree must load (its hash is verified), decode and
//     validate, every file's data blobs and every directory's subtree must
//     be indexed.
//  4. With ReadData (or a subset), download each selected pack, check its
//     SHA-256 against its name, read its header, compare the header with
//     the index, and open every blob (decrypt, decompress, verify its ID).
//     This is done in one pass, a blob at a time; a pack that fails any of
//     it is read again whole, to report everything that is wrong with it.
//
// Problems in the repository go into the Report; Check returns an error
// only when it cannot run (cancelled context, unlistable backend, bad
// options). Check does not lock: the caller holds the lock (restic takes an
// exclusive one so that no prune runs underneath).
//
// The checker does not use the repository's loaded index (which cannot be
// built when an index file is damaged): it builds its own from the files
// that do load and reads tree blobs through it.
package checker
