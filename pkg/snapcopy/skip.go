package snapcopy

import (
	"slices"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// copies indexes the destination's snapshots by the IDs a source snapshot
// may be known by there: each one's own ID and its original's.
type copies map[format.ID][]repo.Snapshot

func indexCopies(dst []repo.Snapshot) copies {
	c := copies{}
	for _, sn := range dst {
		c.add(sn)
	}
	return c
}

func (c copies) add(sn repo.Snapshot) {
	if sn.Original != nil && !sn.Original.IsNull() {
		c[*sn.Original] = append(c[*sn.Original], sn)
	}
	c[sn.ID] = append(c[sn.ID], sn)
}

// find returns the destination snapshot that already holds sn.
func (c copies) find(sn repo.Snapshot) (repo.Snapshot, bool) {
	for _, d := range c[persistentID(sn)] {
		if Similar(d.Snapshot, sn.Snapshot) {
			return d, true
		}
	}
	return repo.Snapshot{}, false
}

// persistentID is what identifies sn across copies and rewrites: its
// original, else its own ID.
func persistentID(sn repo.Snapshot) format.ID {
	if sn.Original != nil {
		return *sn.Original
	}
	return sn.ID
}

// Similar reports whether a and b describe the same backup, as restic's
// copy decides it: everything but parent and original (and what restic
// 0.14 does not know: program_version, summary) is the same; paths and
// tags in any order, excludes in order.
func Similar(a, b *format.Snapshot) bool {
	if !a.Time.Equal(b.Time) || a.Tree == nil || b.Tree == nil || *a.Tree != *b.Tree ||
		a.Hostname != b.Hostname || a.Username != b.Username || a.UID != b.UID || a.GID != b.GID {
		return false
	}
	return sameSet(a.Paths, b.Paths) && sameSet(a.Tags, b.Tags) && slices.Equal(a.Excludes, b.Excludes)
}

// sameSet is restic's test: as many elements, each of b in a.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			return false
		}
	}
	return true
}

// Holds reports whether the destination's snapshot c holds sn, as Run
// decides to skip sn: c is sn's copy (or sn itself, or a copy of the same
// original) and describes the same backup.
func Holds(c, sn repo.Snapshot) bool {
	id := persistentID(sn)
	named := c.ID == id || (c.Original != nil && *c.Original == id)
	return named && Similar(c.Snapshot, sn.Snapshot)
}
