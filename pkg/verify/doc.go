// Package verify proves that a snapshot can be restored, not only that its
// packs are intact: RestoreTest restores the snapshot with pkg/restorer into
// a fresh directory below a scratch directory, then walks the snapshot's
// trees and the restored entries side by side and compares them.
//
// Every node must exist with its type; regular files must have the node's
// size, and their content, cut at the plaintext lengths of their data blobs
// (taken from the index), must hash (SHA-256) to exactly the blob IDs of the
// node's content list, with nothing after the last blob; symlinks must
// point where the node says; mode bits (but a symlink's) and mtimes must be
// what the restorer set; hardlinked names must share one inode; nothing may
// exist that the snapshot does not hold. Each difference is a *Mismatch
// naming the snapshot path and what differs.
//
// Files are streamed through the hash in fixed-size buffers, several at a
// time, so memory does not grow with file size. The scratch restore is
// removed on every path, including errors and cancellation. Times are
// compared to the nanosecond: the scratch directory must be on a
// filesystem that keeps them (ext4, xfs, btrfs, tmpfs).
package verify
