package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

const (
	defaultLimit = 200
	maxLimit     = 10000
)

// paging reads ?offset= and ?limit= (defaults 0 and defaultLimit, limit at
// most maxLimit).
func paging(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, defaultLimit
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, badRequest("offset %q: want a number, 0 or more", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			return 0, 0, badRequest("limit %q: want a number from 1 to %d", v, maxLimit)
		}
	}
	return offset, limit, nil
}

// snapshotFilter is what the snapshots page and API select by: host, tag
// and path as drydock snapshots does, and a time range.
type snapshotFilter struct {
	retention.Filter
	Since, Until time.Time // zero: open; Until is exclusive
}

// Select returns the snapshots of sns that f keeps, in their order.
func (f snapshotFilter) Select(sns []repo.Snapshot) []repo.Snapshot {
	var out []repo.Snapshot
	for _, sn := range f.Filter.Select(sns) {
		if (f.Since.IsZero() || !sn.Time.Before(f.Since)) && (f.Until.IsZero() || sn.Time.Before(f.Until)) {
			out = append(out, sn)
		}
	}
	return out
}

// parseSnapshotFilter reads ?host=, ?tag= and ?path= as drydock snapshots
// reads --host, --tag and --path (each may be given more than once; a tag
// value is a comma-separated list that must all match; empty values are
// ignored), and ?since= and ?until=: RFC 3339 times, or dates (YYYY-MM-DD,
// the server's time zone) that include the whole day.
func parseSnapshotFilter(r *http.Request) (snapshotFilter, error) {
	q := r.URL.Query()
	var f snapshotFilter
	var err error
	if f.Since, err = parseTime("since", q.Get("since"), false); err != nil {
		return f, err
	}
	if f.Until, err = parseTime("until", q.Get("until"), true); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, badRequest("since=%s is not before until=%s", q.Get("since"), q.Get("until"))
	}
	for _, h := range q["host"] {
		if h != "" {
			f.Hosts = append(f.Hosts, h)
		}
	}
	for _, t := range q["tag"] {
		if t != "" {
			f.Tags.Set(t)
		}
	}
	for _, p := range q["path"] {
		if p != "" {
			f.Paths = append(f.Paths, p)
		}
	}
	return f, nil
}

// parseTime reads a time parameter: an RFC 3339 time, or a date that
// stands for its day's start (or, for an end, the next day's: the day is
// included). Empty is the zero time.
func parseTime(name, v string, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	day, err := time.ParseInLocation(time.DateOnly, v, time.Local)
	if err != nil {
		return time.Time{}, badRequest("%s=%q: want a date (2026-01-31) or an RFC 3339 time (2026-01-31T18:00:00Z)", name, v)
	}
	if end {
		day = day.AddDate(0, 0, 1)
	}
	return day, nil
}
