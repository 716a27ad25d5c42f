package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// hostsJSON is the answer of GET /api/v1/hosts: the fleet, and the
// repositories that could not be read (their hosts are missing from it).
type hostsJSON struct {
	Hosts      []fleetEntry     `json:"hosts"`
	Unreadable []unreadableJSON `json:"unreadable"`
}

type unreadableJSON struct {
	Repository string `json:"repository"`
	Error      string `json:"error"`
}

// hosts reads every repository's snapshots and makes the fleet of them.
// A repository that cannot be read is reported, not fatal: the others'
// hosts are still worth seeing.
func (s *Server) hosts(ctx context.Context) hostsJSON {
	out := hostsJSON{Hosts: []fleetEntry{}, Unreadable: []unreadableJSON{}}
	now := time.Now()
	for _, name := range s.names {
		src := s.sources[name]
		var sns []repo.Snapshot
		err := src.read(ctx, func(ctx context.Context) (err error) {
			sns, err = src.snapshots(ctx, retention.Filter{})
			return err
		})
		if err != nil {
			s.log.Warn("console: repository unreadable for the hosts view", "repository", name, "err", err)
			out.Unreadable = append(out.Unreadable, unreadableJSON{Repository: name, Error: err.Error()})
			continue
		}
		out.Hosts = append(out.Hosts, fleet(name, sns, now, s.due)...)
	}
	return out
}

func (s *Server) apiHosts(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.hosts(r.Context()))
}

type hostsPage struct {
	Rows       []hostRow
	Unreadable []unreadableJSON
	Stale      int
}

func (hostsPage) title() string { return "Hosts" }

type hostRow struct {
	Host, What, Repository  string
	SnapshotURL, ShortID    string
	Time, Age, Size         string
	Snapshots               int
	Stale, FirstOfHost, App bool
}

// pageHosts is the fleet view: every host writing into the repositories,
// its last snapshot of each app or set of paths, overdue ones marked.
func (s *Server) pageHosts(w http.ResponseWriter, r *http.Request) {
	h := s.hosts(r.Context())
	p := hostsPage{Unreadable: h.Unreadable}
	for i, e := range h.Hosts {
		row := hostRow{Host: e.Host, Repository: e.Repository, SnapshotURL: treeURL(e.Repository, e.Last, "/"),
			ShortID: e.Last[:8], Time: e.Time.Format("2006-01-02 15:04"), Age: age(time.Duration(e.AgeSeconds) * time.Second),
			Snapshots: e.Snapshots, Stale: e.Stale, App: e.App != "", FirstOfHost: i == 0 || h.Hosts[i-1].Host != e.Host}
		row.What = e.App
		if e.App == "" {
			row.What = strings.Join(e.Paths, ", ")
		}
		if e.Size != nil {
			row.Size = humanize.Bytes(*e.Size, 1)
		}
		if e.Stale {
			p.Stale++
		}
		p.Rows = append(p.Rows, row)
	}
	s.render(w, r, http.StatusOK, "hosts", p)
}

// age says how long ago, in the largest unit that fits.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(int(d/(24*time.Hour)), "day")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return strconv.Itoa(n) + " " + unit + "s ago"
}
