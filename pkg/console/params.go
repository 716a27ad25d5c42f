package console

import (
	"net/http"
	"strconv"

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

// snapshotFilter reads ?host=, ?tag= and ?path= as drydock snapshots reads
// --host, --tag and --path: each may be given more than once; a tag value
// is a comma-separated list that must all match; empty values are ignored.
func snapshotFilter(r *http.Request) retention.Filter {
	q := r.URL.Query()
	var f retention.Filter
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
	return f
}
