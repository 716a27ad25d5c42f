package apprestore

import (
	"errors"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/restorer"
)

// TestRoomFor: on this machine's real filesystem, a restore that fits
// with room to spare passes; one that would take the space kept for the
// running apps, or more than is free, is refused with ErrNoRoom.
func TestRoomFor(t *testing.T) {
	dir := t.TempDir()
	free, size, err := fsSpace(dir)
	if err != nil || size == 0 || free < 64<<20 {
		t.Fatalf("statfs %s: %d free of %d, %v: need a filesystem with 64 MiB free", dir, free, size, err)
	}
	keep := min(size/20, maxKeepFree)
	for _, tc := range []struct {
		name string
		s    restorer.Stats
		ok   bool
	}{
		{"nothing", restorer.Stats{}, true},
		{"a small volume", restorer.Stats{PlannedFiles: 10, PlannedBytes: 1 << 20}, true},
		{"into the space kept", restorer.Stats{PlannedBytes: free - keep/2}, false},
		{"more than free", restorer.Stats{PlannedBytes: 2 * free}, false},
		{"many small files", restorer.Stats{PlannedFiles: int(free / fileOverhead), PlannedBytes: 1}, false},
	} {
		err := RoomFor(dir)(tc.s)
		if ok := err == nil; ok != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrNoRoom) || !strings.Contains(err.Error(), dir)) {
			t.Errorf("%s: %v: want ErrNoRoom naming %s", tc.name, err, dir)
		}
	}
}
