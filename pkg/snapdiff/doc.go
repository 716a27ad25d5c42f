// Package snapdiff compares two snapshots' trees as restic's diff does:
// the entries added (+), removed (-), changed in content (M) or type (T),
// and, when asked, changed in metadata (U), in path order; then the
// entries and blobs each side has that the other lacks. The CLI's diff
// prints it, the console pages it.
//
// Two equal subtree IDs hold the same entries, so the walk descends only
// where the trees differ: a diff of two snapshots that share most of their
// data reads little more than the changed folders.
package snapdiff
