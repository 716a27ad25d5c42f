package snapcopy_test

import (
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// TestHolds: a destination snapshot holds a source snapshot when it is
// that snapshot, its copy, or a copy of the same original, and describes
// the same backup.
func TestHolds(t *testing.T) {
	id := func(b byte) format.ID { return format.ID{b} }
	tree, other := id(9), id(8)
	doc := func(original *format.ID, tr format.ID) *format.Snapshot {
		return &format.Snapshot{Time: time.Unix(1e9, 0), Tree: &tr, Hostname: "h", Paths: []string{"/p"}, Tags: []string{"a", "b"}, Original: original}
	}
	src := repo.Snapshot{ID: id(1), Snapshot: doc(nil, tree)}
	rewritten := repo.Snapshot{ID: id(2), Snapshot: doc(&[]format.ID{id(1)}[0], tree)}
	for _, tc := range []struct {
		name string
		dst  repo.Snapshot
		sn   repo.Snapshot
		want bool
	}{
		{"itself", src, src, true},
		{"its copy", repo.Snapshot{ID: id(3), Snapshot: doc(&[]format.ID{id(1)}[0], tree)}, src, true},
		{"a copy of its original", repo.Snapshot{ID: id(4), Snapshot: doc(&[]format.ID{id(1)}[0], tree)}, rewritten, true},
		{"another snapshot", repo.Snapshot{ID: id(5), Snapshot: doc(nil, tree)}, src, false},
		{"its copy with another tree", repo.Snapshot{ID: id(6), Snapshot: doc(&[]format.ID{id(1)}[0], other)}, src, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := snapcopy.Holds(tc.dst, tc.sn); got != tc.want {
				t.Errorf("Holds = %v, want %v", got, tc.want)
			}
		})
	}
}
