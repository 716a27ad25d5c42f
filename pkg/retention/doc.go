// Package retention decides which snapshots a keep policy keeps, making
// exactly the choices restic 0.14's `forget` makes for the same snapshots,
// and removes the others from a repository.
//
// The decision (Filter, Group, Apply, Plan) is pure: it sees only snapshot
// documents and a clock. Forget and RemoveSnapshots do the I/O, under an
// exclusive lock the caller holds.
//
// # The algorithm
//
// Snapshots are filtered (--host, --tag, --path), split into groups by
// host, paths and/or tags, and the policy is applied to each group on its
// own. Within a group the snapshots are walked newest first. Every count
// option (--keep-last/-hourly/-daily/-weekly/-monthly/-yearly n) is a
// bucket with n slots: a snapshot whose period (its hour, day, ISO week,
// month or year; for keep-last, the snapshot itself) differs from the
// period of the previous snapshot kept by that bucket takes a slot and is
// kept. A snapshot is kept if any bucket takes it, if it carries one of the
// --keep-tag tag lists, if it is newer than the newest snapshot minus
// --keep-within, or if a --keep-within-<period> bucket takes it (those have
// no slot limit, only a time limit). The reasons and the slots left after
// each kept snapshot are reported as restic reports them.
//
// # Time zones and the clock
//
// Periods are taken from the wall clock recorded in each snapshot, in the
// UTC offset it was written with, never converted to the machine's zone:
// restic does the same, so TZ does not move a snapshot to another day. The
// keep-within cutoffs are computed with time.Time.AddDate on the newest
// snapshot's time, which, as Go decodes it, is in time.Local when its offset
// is the local zone's; across a DST change the cutoff then follows local
// wall-clock days. restic behaves identically, so both must run with the
// same TZ to agree to the hour. "Newest" ignores snapshots dated after now,
// as restic does, so a clock error on one host cannot expire everything.
//
// # Where drydock differs from restic 0.14, on purpose
//
//   - Negative counts and durations are rejected (Policy.Validate). restic
//     0.14 accepts them and then keeps nothing for that option, which with
//     no other option removes the whole group.
//   - Snapshots with identical times are ordered by ID, so the choice among
//     them is reproducible; restic's depends on the order it loaded them.
//   - Duration numbers outside int, or written with non-ASCII digits, are
//     errors; restic 0.14 panics on them.
package retention
