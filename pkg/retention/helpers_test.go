package retention_test

import (
	"strconv"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// at parses an RFC 3339 time into a fixed zone with its offset, so that
// tests do not depend on the machine's zone (encoding/json would pick
// time.Local when the offset happens to be the local one).
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	_, off := t.Zone()
	return t.In(time.FixedZone("", off))
}

// idOf makes the ID of test snapshot nr: its number in the first bytes, so
// that IDs sort like numbers and numbers() can read them back.
func idOf(nr int) format.ID {
	var id format.ID
	id[0], id[1] = byte(nr>>8), byte(nr)
	id[31] = 0xaa
	return id
}

func nrOf(id format.ID) int { return int(id[0])<<8 | int(id[1]) }

// snap makes snapshot nr.
func snap(nr int, when, host string, paths, tags []string) repo.Snapshot {
	return snapAt(nr, at(when), host, paths, tags)
}

func snapAt(nr int, when time.Time, host string, paths, tags []string) repo.Snapshot {
	tree := format.Hash([]byte("tree"))
	return repo.Snapshot{ID: idOf(nr), Snapshot: &format.Snapshot{
		Time: when, Tree: &tree, Hostname: host, Paths: paths, Tags: tags,
	}}
}

// plain makes snapshot nr of host h and path /p at when.
func plain(nr int, when string) repo.Snapshot { return snap(nr, when, "h", []string{"/p"}, nil) }

// numbers lists the snapshots' numbers: "3,1,0".
func numbers(sns []repo.Snapshot) string {
	s := make([]string, len(sns))
	for i, sn := range sns {
		s[i] = strconv.Itoa(nrOf(sn.ID))
	}
	return strings.Join(s, ",")
}
