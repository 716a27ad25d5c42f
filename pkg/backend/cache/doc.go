// Package cache keeps a local copy of what commands read again and again
// from a remote repository: its index files, its snapshot files and the
// packs that hold trees. A command that ran before then fetches only
// listings, and the few files that are new since.
//
// The layout mirrors the repository's, one directory per repository ID
// under a base directory that carries a CACHEDIR.TAG (so that backups
// that exclude caches skip it):
//
//	BASE/CACHEDIR.TAG
//	BASE/<repository ID>/index/<ID>
//	BASE/<repository ID>/snapshots/<ID>
//	BASE/<repository ID>/data/<ID[:2]>/<ID>
//
// Every file's name is the SHA-256 of its content, and it is checked when
// read: a damaged file is removed and loaded from the repository again, so
// the cache can make a command slower, never wrong. Files are written to a
// temporary file in their directory and renamed into place, so processes
// sharing the cache never see a partial file. What the repository no
// longer lists (a forgotten snapshot, a pruned index) is removed when the
// repository is listed; tree packs that the loaded index no longer names
// are removed when the repository tells the cache which packs hold trees
// (backend.PackCache).
package cache
