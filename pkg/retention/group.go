package retention

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// GroupBy says which snapshot fields split snapshots into groups that a
// policy is applied to separately. The zero value puts every snapshot in
// one group; restic's default is DefaultGroupBy.
type GroupBy struct {
	Host, Paths, Tags bool
}

// DefaultGroupBy is restic's --group-by default, "host,paths".
var DefaultGroupBy = GroupBy{Host: true, Paths: true}

// ParseGroupBy reads restic's --group-by syntax: a comma-separated list of
// host, paths and tags (or host(s), path(s), tag(s)); empty items are
// ignored, so "" means no grouping. White space is not trimmed, as in
// restic.
func ParseGroupBy(s string) (GroupBy, error) {
	var g GroupBy
	for _, item := range strings.Split(s, ",") {
		switch item {
		case "host", "hosts":
			g.Host = true
		case "path", "paths":
			g.Paths = true
		case "tag", "tags":
			g.Tags = true
		case "":
		default:
			return GroupBy{}, fmt.Errorf("unknown --group-by field %q in %q: want host, paths and/or tags, separated by commas", item, s)
		}
	}
	return g, nil
}

// String formats g as ParseGroupBy reads it: "host,paths".
func (g GroupBy) String() string {
	var items []string
	for _, f := range []struct {
		on   bool
		name string
	}{{g.Host, "host"}, {g.Paths, "paths"}, {g.Tags, "tags"}} {
		if f.on {
			items = append(items, f.name)
		}
	}
	return strings.Join(items, ",")
}

// Set parses s into g; with Type it makes *GroupBy a pflag.Value.
func (g *GroupBy) Set(s string) error {
	v, err := ParseGroupBy(s)
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// Type names the flag's value in help texts.
func (GroupBy) Type() string { return "group" }

// GroupKey is what the snapshots of a group share: the fields grouped by,
// the others empty. Paths and tags are sorted. Its JSON form is restic's
// group key, and a nil list stays distinct from an empty one, as in restic.
type GroupKey struct {
	Hostname string   `json:"hostname"`
	Paths    []string `json:"paths"`
	Tags     []string `json:"tags"`
}

// Group is a group of snapshots with its key.
type Group struct {
	Key       GroupKey
	Snapshots []repo.Snapshot
}

// KeyOf returns the key of sn's group.
func (g GroupBy) KeyOf(sn repo.Snapshot) GroupKey {
	var k GroupKey
	if g.Host {
		k.Hostname = sn.Hostname
	}
	if g.Paths {
		k.Paths = sortedCopy(sn.Paths)
	}
	if g.Tags {
		k.Tags = sortedCopy(sn.Tags)
	}
	return k
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Split groups snapshots by g, keeping their order within each group.
// Groups are sorted by the JSON form of their key, so output is stable.
func (g GroupBy) Split(snapshots []repo.Snapshot) []Group {
	byKey := map[string]*Group{}
	var keys []string
	for _, sn := range snapshots {
		k := g.KeyOf(sn)
		enc, err := json.Marshal(k)
		if err != nil {
			panic(fmt.Sprintf("encode group key: %v", err)) // strings always encode
		}
		grp, ok := byKey[string(enc)]
		if !ok {
			grp = &Group{Key: k}
			byKey[string(enc)] = grp
			keys = append(keys, string(enc))
		}
		grp.Snapshots = append(grp.Snapshots, sn)
	}
	slices.Sort(keys)
	out := make([]Group, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out
}
