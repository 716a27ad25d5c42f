// Package mount serves a repository as a read-only FUSE file system, in
// the layout restic's mount has: snapshots/ with one directory per
// snapshot named by its time and a "latest" symlink, hosts/HOST/,
// tags/TAG/ and ids/ID/, all made from path templates.
//
// Nothing is read ahead: a directory's tree is loaded when it is first
// listed or looked into, a file's content blob by blob as it is read,
// each blob through the repository's loader, which checks its MAC and its
// hash, so that a damaged blob fails the read with EIO instead of handing
// out wrong bytes. Recently read blobs are kept in a small cache. The list
// of snapshots is read again when a directory of the layout is looked
// into, at most once per refresh interval, so a snapshot written while
// mounted shows up.
//
// The FUSE side is github.com/hanwen/go-fuse/v2 (pure Go); mounting needs
// /dev/fuse and the fusermount3 (or fusermount) helper.
package mount
