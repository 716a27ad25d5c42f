package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

// countFresh is how old the snapshot count of the console's cache may be
// before the overview lists the snapshot files again, in the background:
// a page that lists them (snapshots, hosts) brings it up to date anyway.
const countFresh = time.Minute

// repositoryJSON is an element of GET /api/v1/repositories. It names the
// repository, never its location (it may hold credentials), with what
// the console knows of it without reading it: the fields after name are
// absent while unknown.
type repositoryJSON struct {
	Name string `json:"name"`
	// Snapshots is the count of the console's last listing, at
	// SnapshotsListed.
	Snapshots       *int       `json:"snapshots,omitempty"`
	SnapshotsListed *time.Time `json:"snapshots_listed,omitempty"`
	// Size is the repository's size as the newest operation that
	// measured it (a backup, a copy into it) recorded.
	Size *repositorySize `json:"size,omitempty"`
	// LastCheck is the newest check or verification of it that ended.
	LastCheck *repositoryCheck `json:"last_check,omitempty"`
}

type repositorySize struct {
	Bytes     int64     `json:"bytes"`
	Snapshots int       `json:"snapshots"`
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"`
}

type repositoryCheck struct {
	Operation string    `json:"operation"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Time      time.Time `json:"time"` // when it ended
	Error     string    `json:"error,omitempty"`
}

// repositoryFacts is what the console knows of one repository.
type repositoryFacts struct {
	name      string
	count     int
	listed    time.Time // zero: not listed yet
	size      *repositorySize
	lastCheck *repositoryCheck
}

// repositoryFacts gathers, for every repository, the count of the
// snapshot cache and the newest size and check in ops (newest first, as
// oplog.Log.List gives them). It reads no repository: a count older than
// countFresh is listed again in the background, for the next page.
func (s *Server) repositoryFacts(ops []oplog.Operation) []repositoryFacts {
	byName := map[string]*repositoryFacts{}
	out := make([]repositoryFacts, len(s.names))
	for i, name := range s.names {
		src := s.sources[name]
		out[i] = repositoryFacts{name: name}
		out[i].count, out[i].listed = src.snaps.counted()
		if time.Since(out[i].listed) >= countFresh {
			s.listInBackground(src)
		}
		byName[name] = &out[i]
	}
	for _, op := range ops {
		f := byName[op.Repository]
		if f == nil || op.Finished == nil {
			continue
		}
		if a := op.After; a != nil && f.size == nil {
			f.size = &repositorySize{Bytes: a.Bytes, Snapshots: a.Snapshots, Time: *op.Finished, Operation: op.ID}
		}
		if isCheck(op.Kind) && f.lastCheck == nil {
			f.lastCheck = &repositoryCheck{Operation: op.ID, Kind: op.Kind, Status: op.Status, Time: *op.Finished, Error: op.Error}
		}
	}
	return out
}

// isCheck says whether an operation of kind checks the repository: the
// daemon's verification (a check, then restore tests) or a check.
func isCheck(kind string) bool { return kind == "verify" || kind == "check" }

// listInBackground lists src's snapshot files (as a page would, under a
// shared lock) unless a listing for the overview runs already.
func (s *Server) listInBackground(src *source) {
	if !src.listing.CompareAndSwap(false, true) {
		return
	}
	err := s.bg.start(func(ctx context.Context) {
		defer src.listing.Store(false)
		err := src.read(ctx, func(ctx context.Context) error {
			_, _, err := src.allSnapshots(ctx)
			return err
		})
		if err != nil && ctx.Err() == nil {
			src.log.Warn("console: counting the snapshots for the overview failed", "repository", src.name, "err", err)
		}
	})
	if err != nil {
		src.listing.Store(false)
	}
}

func (f repositoryFacts) json() repositoryJSON {
	out := repositoryJSON{Name: f.name, Size: f.size, LastCheck: f.lastCheck}
	if !f.listed.IsZero() {
		n, at := f.count, f.listed
		out.Snapshots, out.SnapshotsListed = &n, &at
	}
	return out
}

// repositoryRow is a repository as the overview shows it.
type repositoryRow struct {
	Name, URL string
	Snapshots string // a count, or why there is none
	Size      string // "", or the size and the age of the figure
	SizeURL   string
	Check     *checkRow
}

type checkRow struct {
	Kind, Status, Age, URL, Error string
}

func (f repositoryFacts) row() repositoryRow {
	row := repositoryRow{Name: f.name, URL: "/repositories/" + url.PathEscape(f.name) + "/snapshots", Snapshots: "not listed yet"}
	if !f.listed.IsZero() {
		row.Snapshots = plainCount(f.count, "snapshot")
	}
	if z := f.size; z != nil {
		row.Size, row.SizeURL = humanize.Bytes(uint64(max(z.Bytes, 0)), 1)+", "+age(time.Since(z.Time)), operationURL(z.Operation)
	}
	if c := f.lastCheck; c != nil {
		row.Check = &checkRow{Kind: c.Kind, Status: c.Status, Age: age(time.Since(c.Time)), URL: operationURL(c.Operation), Error: c.Error}
	}
	return row
}

// plainCount is "1 snapshot", "10,000 snapshots".
func plainCount(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	digits := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 && digits[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + " " + unit + "s"
}

func (s *Server) apiRepositories(w http.ResponseWriter, r *http.Request) {
	var ops []oplog.Operation
	if s.history != nil {
		ops = s.history.List(0)
	}
	out := []repositoryJSON{}
	for _, f := range s.repositoryFacts(ops) {
		out = append(out, f.json())
	}
	writeJSON(w, http.StatusOK, out)
}
