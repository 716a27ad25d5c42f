// Package backend defines how drydock stores and fetches the files of a
// restic-compatible repository: a short, byte-level Backend interface, the
// Handle that names a file, the default restic layout that maps a Handle to a
// path, and the sentinel errors callers branch on.
//
// A backend knows nothing about encryption, packs or indexes: it moves opaque
// bytes. Implementations live in sub-packages (local, s3); decorators such as
// retry embed a Backend and override what they change.
//
// Every file except the config is named by the lowercase hex SHA-256 of its
// stored bytes, so files are written once and never modified. Listing only
// reports names that are valid IDs, which hides leftovers such as
// "<id>-tmp-123" from an interrupted local write.
package backend
