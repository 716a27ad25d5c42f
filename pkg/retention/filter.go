package retention

import (
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// Filter selects the snapshots forget considers, as restic's --host, --tag
// and --path do. The zero Filter selects everything.
type Filter struct {
	Hosts []string // any of these hosts
	Tags  TagLists // matching any of these tag lists
	Paths []string // having all of these paths, compared as given (not cleaned)
}

// Matches reports whether sn passes every part of f.
func (f Filter) Matches(sn repo.Snapshot) bool {
	if len(f.Hosts) > 0 && !slices.Contains(f.Hosts, sn.Hostname) {
		return false
	}
	if !f.Tags.MatchesAny(sn.Tags) {
		return false
	}
	for _, p := range f.Paths {
		if !slices.Contains(sn.Paths, p) {
			return false
		}
	}
	return true
}

// String describes f for messages: "host h, tags [a, b], path /p".
func (f Filter) String() string {
	var parts []string
	for _, h := range f.Hosts {
		parts = append(parts, "host "+h)
	}
	for _, l := range f.Tags {
		parts = append(parts, "tags "+l.String())
	}
	for _, p := range f.Paths {
		parts = append(parts, "path "+p)
	}
	return strings.Join(parts, ", ")
}

// Empty reports whether f selects everything.
func (f Filter) Empty() bool {
	return len(f.Hosts) == 0 && len(f.Tags) == 0 && len(f.Paths) == 0
}

// Select returns the snapshots that match f, in their order.
func (f Filter) Select(snapshots []repo.Snapshot) []repo.Snapshot {
	var out []repo.Snapshot
	for _, sn := range snapshots {
		if f.Matches(sn) {
			out = append(out, sn)
		}
	}
	return out
}
