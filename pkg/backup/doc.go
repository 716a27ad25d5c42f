// Package backup writes snapshots: of plain paths, and of Docker volumes app
// by app with the two-pass scheme that keeps downtime short. The CLI and the
// daemon both run backups through it, so that a scheduled backup is the
// same as one started by hand.
//
// Every function here runs under a repository lock its caller holds, and
// keeps restic's write order: packs, then the index files that describe
// them, then the snapshot.
package backup
