package console

import (
	"cmp"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// staleAfter is the age at which a host's last snapshot of something is
// shown as overdue where no job's schedule says otherwise (Options.Due).
const staleAfter = 24 * time.Hour

// appRoot is where an app's snapshot keeps drydock's files of the app
// (pkg/backup.AppRoot); its paths name the app there.
const appRoot = "/.drydock/apps"

// fleetEntry is the newest snapshot one host wrote of one thing (an app,
// or a set of paths) into one repository: the fleet view's row.
type fleetEntry struct {
	Repository string    `json:"repository"`
	Host       string    `json:"host"`
	App        string    `json:"app,omitempty"`   // for an app's snapshots
	Paths      []string  `json:"paths,omitempty"` // for the others
	Snapshots  int       `json:"snapshots"`       // how many of it the repository holds
	Last       string    `json:"last_snapshot"`
	Time       time.Time `json:"time"`
	AgeSeconds int64     `json:"age_seconds"`
	// Size is what the last backup read (its summary's total), absent for
	// snapshots without a summary (restic before 0.17).
	Size *uint64 `json:"size,omitempty"`
	// Due is when the next snapshot is expected: by its job's schedule
	// where the console knows it, else a day after the last one.
	Due   time.Time `json:"due"`
	Stale bool      `json:"stale"` // not there by Due
}

// fleet groups sns (of repository name) by host and app or paths and
// keeps the newest of each, ordered by host, then app or paths; due (may
// be nil) says when each is expected next.
func fleet(name string, sns []repo.Snapshot, now time.Time, due func(DueQuery) (time.Time, bool)) []fleetEntry {
	byKey := map[string]*fleetEntry{}
	last := map[*fleetEntry]*repo.Snapshot{} // hex-encoded once, at the end
	for i := range sns {
		sn := &sns[i]
		app, paths := subject(sn.Paths)
		key := sn.Hostname + "\x00" + app + "\x00" + strings.Join(paths, "\x00")
		e := byKey[key]
		if e == nil {
			e = &fleetEntry{Repository: name, Host: sn.Hostname, App: app, Paths: paths}
			byKey[key] = e
		}
		e.Snapshots++
		if l := last[e]; l == nil || sn.Time.After(l.Time) {
			last[e] = sn
		}
	}
	out := make([]fleetEntry, 0, len(byKey))
	for _, e := range byKey {
		sn := last[e]
		e.Last, e.Time = sn.ID.String(), sn.Time
		if sn.Summary != nil {
			size := sn.Summary.TotalBytesProcessed
			e.Size = &size
		}
		e.AgeSeconds, e.Due = int64(now.Sub(e.Time)/time.Second), e.Time.Add(staleAfter)
		if due != nil {
			if d, ok := due(DueQuery{Repository: name, Host: e.Host, App: e.App, Paths: e.Paths, Last: e.Time}); ok {
				e.Due = d
			}
		}
		e.Stale = now.After(e.Due)
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b fleetEntry) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.App, b.App),
			slices.Compare(a.Paths, b.Paths), cmp.Compare(a.Repository, b.Repository))
	})
	return out
}

// subject names what a snapshot is of: the app whose drydock directory
// its paths hold, else its paths, sorted.
func subject(paths []string) (app string, rest []string) {
	for _, p := range paths {
		if dir, name := path.Split(p); path.Clean(dir) == appRoot && name != "" {
			return name, nil
		}
	}
	rest = slices.Clone(paths)
	slices.Sort(rest)
	return "", rest
}
