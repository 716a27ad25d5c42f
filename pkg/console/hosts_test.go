package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestFleet: snapshots are grouped by host and app (from the app's
// drydock directory among the paths) or the paths themselves in any
// order; each group keeps its newest snapshot, counts them all, and is
// stale past a day; a snapshot without a summary has no size.
func TestFleet(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	id := func(b byte) format.ID { var x format.ID; x[0] = b; return x }
	sn := func(b byte, host string, ago time.Duration, size uint64, paths ...string) repo.Snapshot {
		s := repo.Snapshot{ID: id(b), Snapshot: &format.Snapshot{Hostname: host, Time: now.Add(-ago), Paths: paths}}
		if size > 0 {
			s.Summary = &format.SnapshotSummary{TotalBytesProcessed: size}
		}
		return s
	}
	sns := []repo.Snapshot{
		sn(1, "web1", 3*time.Hour, 100, "/var/lib/docker/volumes/db/_data", "/.drydock/apps/shop"),
		sn(2, "web1", time.Hour, 200, "/.drydock/apps/shop", "/var/lib/docker/volumes/db/_data"),
		sn(3, "web1", 30*time.Hour, 0, "/home", "/etc"),
		sn(4, "web1", 40*time.Hour, 0, "/etc", "/home"),
		sn(5, "db2", 2*time.Hour, 50, "/etc"),
	}
	got := fleet("main", sns, now, nil)
	type row struct {
		host, app, paths string
		n                int
		last             byte
		stale            bool
		size             uint64
	}
	var rows []row
	for _, e := range got {
		r := row{e.Host, e.App, strings.Join(e.Paths, ","), e.Snapshots, e.Last[1] - '0', e.Stale, 0}
		if e.Size != nil {
			r.size = *e.Size
		}
		rows = append(rows, r)
	}
	want := []row{
		{"db2", "", "/etc", 1, 5, false, 50},
		{"web1", "", "/etc,/home", 2, 3, true, 0},
		{"web1", "shop", "", 2, 2, false, 200},
	}
	if !slices.Equal(rows, want) {
		t.Errorf("fleet:\n got %+v\nwant %+v", rows, want)
	}
	if got[0].Repository != "main" || got[2].AgeSeconds != 3600 {
		t.Errorf("repository %q, age %d s; want main and 3600", got[0].Repository, got[2].AgeSeconds)
	}

	// A job's schedule decides where it is known: db2's /etc is hourly,
	// so 2 hours is overdue; what it does not know keeps the day.
	var asked []DueQuery
	due := func(q DueQuery) (time.Time, bool) {
		asked = append(asked, q)
		if q.Host == "db2" {
			return q.Last.Add(90 * time.Minute), true
		}
		return time.Time{}, false
	}
	got = fleet("main", sns, now, due)
	if !got[0].Stale || !got[0].Due.Equal(now.Add(-30*time.Minute)) || got[2].Stale || !got[2].Due.Equal(now.Add(23*time.Hour)) {
		t.Errorf("with schedules: db2 stale %v due %v, shop stale %v due %v", got[0].Stale, got[0].Due, got[2].Stale, got[2].Due)
	}
	shop := slices.IndexFunc(asked, func(q DueQuery) bool { return q.App == "shop" })
	if len(asked) != 3 || shop < 0 || asked[shop].Repository != "main" || asked[shop].Host != "web1" || !asked[shop].Last.Equal(now.Add(-time.Hour)) {
		t.Errorf("asked %+v, want one question per row, shop's with its last time", asked)
	}
}

// TestHostsAPIAndPage: GET /api/v1/hosts lists each host's newest
// snapshot of what it backs up, with the summary's size; the page shows
// the same; both want the token.
func TestHostsAPIAndPage(t *testing.T) {
	f := newFixture(t)
	if res := f.get(t, "/api/v1/hosts", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", res.StatusCode)
	}
	res := f.get(t, "/api/v1/hosts", testToken)
	var h hostsJSON
	if err := json.Unmarshal(readBody(t, res), &h); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("hosts: %d, %v", res.StatusCode, err)
	}
	if len(h.Hosts) != 2 || len(h.Unreadable) != 0 {
		t.Fatalf("hosts %+v, unreadable %+v: want alpha and beta", h.Hosts, h.Unreadable)
	}
	for i, want := range []struct {
		host string
		id   format.ID
	}{{"alpha", f.alpha}, {"beta", f.beta}} {
		e := h.Hosts[i]
		if e.Host != want.host || e.Last != want.id.String() || !slices.Equal(e.Paths, []string{f.data}) ||
			e.Snapshots != 1 || e.Size == nil || *e.Size == 0 || e.Stale || e.Repository != "default" {
			t.Errorf("host %d: %+v, want %s's snapshot %s of %s", i, e, want.host, want.id.Str(), f.data)
		}
	}
	page := string(readBody(t, f.get(t, "/hosts", testToken)))
	for _, s := range []string{"<strong>alpha</strong>", "<strong>beta</strong>", f.beta.Str(), "just now"} {
		if !strings.Contains(page, s) {
			t.Errorf("hosts page lacks %q", s)
		}
	}
}
