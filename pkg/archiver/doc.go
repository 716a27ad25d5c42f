// Package archiver saves directory trees into a repository the way restic's
// backup does: files are chunked with the repository's polynomial, chunks
// are stored as data blobs, directories as tree blobs in restic's exact
// byte format, and a file that did not change since the parent snapshot is
// not read again (same size, mtime, ctime and inode, and all of its blobs
// still indexed).
//
// Directories are walked concurrently; a bounded number of files are read at
// once, and each file's chunks are hashed, compressed and encrypted in the
// goroutine that read them, so a backup uses every core.
package archiver
