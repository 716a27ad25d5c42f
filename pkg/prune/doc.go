// Package prune removes data that no snapshot uses from a repository, the
// way `restic prune` (0.14) does, so that either tool can prune a
// repository the other wrote (docs/format.md §11.5).
//
// Pruning is split in two. NewPlan reads and decides, and changes nothing
// (a dry run is a plan that is never executed):
//
//  1. Load every index file (the list is kept: exactly these files are
//     replaced later) and every snapshot.
//  2. Walk every snapshot's trees, each distinct tree once, in parallel
//     (package walk), and collect the blobs they use. If a snapshot, a tree or a blob a
//     tree refers to is missing or unreadable, prune refuses to run: data
//     is already lost and deleting more could make it worse (restic does
//     the same).
//  3. List the packs in storage and classify each indexed pack: fully
//     used, partly used, unused; blobs stored more than once keep one copy,
//     preferably in a pack that stays anyway. An indexed pack whose stored
//     size differs from what its index entries imply is an error if it
//     holds used blobs. An indexed pack missing from storage is an error if
//     it holds used blobs, and otherwise too unless
//     Options.ForgetMissingPacks is set.
//  4. Decide: unused packs are deleted; packs in no index file are deleted
//     (see below); partly used packs are repacked, those that free the
//     most first, until the unused space left is below Options.MaxUnused or
//     Options.MaxRepackSize is reached. Packs mixing data and tree blobs
//     and, in version 2 repositories, packs with uncompressed tree blobs
//     are always repacked (within MaxRepackSize), and so are small packs
//     once there are at least ten of them.
//
// Plan.Execute then changes the repository in an order that a crash at
// any point leaves readable, with every snapshot complete:
//
//  1. Copy the used blobs of the packs to repack into new packs and upload
//     them (still unindexed: harmless, a later prune removes them).
//  2. Write new index files (at most 50,000 blobs each) that describe every
//     pack that stays and every new pack, after checking that every used
//     blob is in them. Until step 3 the packs that stay are described
//     twice, which check reports as a hint.
//  3. Delete the index files loaded in NewPlan.
//  4. Delete the unused, repacked and unindexed packs. Packs left over by
//     a crash here are unreferenced, which check reports as a notice.
//
// Before steps 3 and 4 the snapshots and index files are listed again: if
// any appeared since NewPlan, someone writes despite the exclusive lock,
// and Execute stops before deleting anything.
//
// The caller must hold an exclusive lock from NewPlan to the end of
// Execute and pass the lock's context. This is what makes deleting packs
// that no index file describes safe: such packs are normally left by an
// interrupted backup, but while a backup runs they are its packs that are
// not indexed yet. restic 0.14 deletes them too, and relies on the same
// lock: a backup (restic's or drydock's) holds a non-exclusive lock from
// before it reads the index until after its snapshot is written, so no
// backup runs while prune holds its exclusive lock.
//
// After Execute, the Repository's in-memory index is reloaded: blobs the
// old one knew may be gone.
package prune
