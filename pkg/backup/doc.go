// Package backup writes snapshots: of plain paths, and of Docker volumes app
// by app with the two-pass scheme that keeps downtime short. The CLI and the
// daemon both run backups through it, so that a scheduled backup is the
// same as one started by hand.
//
// RunPaths and RunVolumes are the use cases the CLI and the daemon call:
// they lock the repository, load what the backup needs and report
// progress through callbacks, so that callers differ only in how they
// show progress and results. Paths and Volumes, which they run, work under
// a lock their caller holds. Everything keeps restic's write order: packs,
// then the index files that describe them, then the snapshot.
package backup

import "errors"

// ErrIncomplete: the snapshot was written, but some files could not be
// read (or some volumes were skipped), so it does not hold everything
// asked for. The CLI exits 3 for it; the daemon reports the run failed.
var ErrIncomplete = errors.New("backup is incomplete")
