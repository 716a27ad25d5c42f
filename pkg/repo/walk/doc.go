// Package walk visits the trees that snapshots reach, each distinct tree
// once, with a bounded number of goroutines. check and prune walk the same
// way and differ only in what they do with a tree, so the walk lives here
// and the work is a callback.
//
// A tree is handed to one goroutine of an errgroup whose size is the
// worker limit; when the group is full the walking goroutine visits the
// subtree itself instead of waiting for a free slot (workers that wait for
// each other's slots would deadlock on a deep tree). Trees are loaded
// through a function the caller passes, so that each caller reads through
// the index it trusts (check its own, prune every copy of a blob).
//
// The package sits below repo: it knows format, not storage, so every
// package above format may use it.
package walk
