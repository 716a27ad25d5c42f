package apprestore

import (
	"errors"
	"fmt"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// ErrNoRoom: the filesystem of a volume has no room to stage its restored
// data beside the current data.
var ErrNoRoom = errors.New("not enough free space to stage the restore")

// Space a restore leaves free on the volume's filesystem for the apps
// still running there: filling it would make their writes fail (for a
// database, a crash) while their data is being restored. 5% of the
// filesystem, at most this much.
const maxKeepFree = 1 << 30

// fileOverhead is what a file costs beyond its content, at most (its
// last block, metadata), in the estimate of the space staging needs.
const fileOverhead = 4096

// RoomFor is a restorer.Options.Planned check: that the filesystem of dir
// holds what a restore into it plans to write and still keeps room free
// for the apps running there (restores and drills write beside them).
func RoomFor(dir string) func(restorer.Stats) error {
	return func(s restorer.Stats) error { return roomFor(dir, s) }
}

func roomFor(dir string, s restorer.Stats) error {
	free, size, err := fsSpace(dir)
	if err != nil || size == 0 { // unknown: the restore itself will tell
		return nil
	}
	need := s.PlannedBytes + uint64(s.PlannedFiles)*fileOverhead
	keep := min(size/20, maxKeepFree)
	if need+keep <= free {
		return nil
	}
	return fmt.Errorf("%w: the restore needs up to %s, and its filesystem (%s) has %s free, of which %s is kept for the apps still running: free space there and retry, or restore elsewhere with drydock restore --target; nothing was changed",
		ErrNoRoom, humanize.Bytes(need, 1), dir, humanize.Bytes(free, 1), humanize.Bytes(keep, 1))
}
