// Package index is drydock's in-memory repository index: blob ID → pack,
// offset, length, uncompressed length and type, plus the codec between it
// and restic's index files (spec §6).
//
// Memory is the design constraint: a repository with tens of millions of
// blobs must fit on a small Docker host. Blobs are fixed-size records in
// paged byte arrays (no per-blob pointers, maps or slices):
//
//   - the main part is sorted by ID; because IDs are uniformly random,
//     a 65,536-entry table of start positions per 2-byte ID prefix both
//     narrows each binary search and lets records omit those 2 bytes, so a
//     record is 46 bytes (30 ID bytes, pack number with a tree flag,
//     offset, length, uncompressed length);
//   - recent additions go to an unsorted pending part with an
//     open-addressing table of uint32 slots, merged into the main part
//     whenever it reaches 1/16 of it (amortized O(1) copies per blob);
//   - pack IDs live once in a slice referenced by a 31-bit pack number.
//
// An Index is safe for concurrent use.
package index
