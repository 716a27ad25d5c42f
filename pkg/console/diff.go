package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snapdiff"
)

// diffPage is one page of the changes from snapshot a to b, with the
// statistics of the whole diff.
type diffPage struct {
	Repo             string
	A, B             snapshotRow
	Metadata         bool
	Rows             []diffRow
	Stats            snapdiff.Stats
	Added, Removed   string // bytes, for people
	Total, From, To  int
	PrevURL, NextURL string
}

func (p diffPage) title() string { return "Diff " + p.A.ShortID + " → " + p.B.ShortID }

type diffRow struct{ Modifier, Path, URL, Class string }

// diffJSON is the answer of GET /api/v1/repositories/{repo}/diff.
type diffJSON struct {
	A        string            `json:"a"`
	B        string            `json:"b"`
	Total    int               `json:"total"`
	Offset   int               `json:"offset"`
	Limit    int               `json:"limit"`
	Changes  []snapdiff.Change `json:"changes"`
	Stats    snapdiff.Stats    `json:"stats"`
	Metadata bool              `json:"metadata"`
}

// diffResult is a page of a diff: the snapshots, the changes offset..
// offset+limit, how many there are, and the statistics.
type diffResult struct {
	a, b    repo.Snapshot
	changes []snapdiff.Change
	total   int
	stats   snapdiff.Stats
}

// diff reads ?a=, ?b=, ?metadata= and the paging of r and walks the diff
// under the read lock; only the page's changes are kept, however many
// there are.
func (s *Server) diff(r *http.Request) (*source, diffResult, int, int, error) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		return nil, diffResult{}, 0, 0, err
	}
	offset, limit, err := paging(r)
	if err != nil {
		return nil, diffResult{}, 0, 0, err
	}
	q := r.URL.Query()
	refA, refB := strings.TrimSpace(q.Get("a")), strings.TrimSpace(q.Get("b"))
	if refA == "" || refB == "" {
		return nil, diffResult{}, 0, 0, badRequest("diff: name two snapshots, ?a=ID&b=ID (an ID, a unique prefix or latest)")
	}
	opts := snapdiff.Options{Metadata: q.Get("metadata") == "true" || q.Get("metadata") == "on"}
	var res diffResult
	err = src.read(r.Context(), func(ctx context.Context) error {
		if res.a, err = src.snapshot(ctx, refA); err != nil {
			return err
		}
		if res.b, err = src.snapshot(ctx, refB); err != nil {
			return err
		}
		res.stats, err = snapdiff.Diff(ctx, src.r, *res.a.Tree, *res.b.Tree, opts, func(c snapdiff.Change) error {
			if res.total >= offset && res.total < offset+limit {
				res.changes = append(res.changes, c)
			}
			res.total++
			return nil
		})
		return err
	})
	return src, res, offset, limit, err
}

// apiDiff answers GET /api/v1/repositories/{repo}/diff?a=&b=.
func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) {
	_, res, offset, limit, err := s.diff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := diffJSON{A: res.a.ID.String(), B: res.b.ID.String(), Total: res.total, Offset: offset, Limit: limit,
		Changes: res.changes, Stats: res.stats, Metadata: r.URL.Query().Get("metadata") == "true"}
	if out.Changes == nil {
		out.Changes = []snapdiff.Change{}
	}
	writeJSON(w, http.StatusOK, out)
}

// pageDiff shows a page of the diff; each path links to the entry in
// the snapshot that has it (a for a removed one, b otherwise).
func (s *Server) pageDiff(w http.ResponseWriter, r *http.Request) {
	src, res, offset, limit, err := s.diff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := diffPage{Repo: src.name, A: newSnapshotRow(src.name, res.a), B: newSnapshotRow(src.name, res.b),
		Metadata: r.URL.Query().Get("metadata") != "", Stats: res.stats, Total: res.total,
		Added: humanize.Bytes(res.stats.Added.Bytes, 1), Removed: humanize.Bytes(res.stats.Removed.Bytes, 1)}
	for _, c := range res.changes {
		sn := res.b
		if c.Modifier == snapdiff.Removed {
			sn = res.a
		}
		p.Rows = append(p.Rows, diffRow{Modifier: c.Modifier, Path: c.Path, Class: modifierClass(c.Modifier),
			URL: treeURL(src.name, sn.ID.String(), strings.TrimSuffix(c.Path, "/"))})
	}
	p.From, p.To = min(offset, res.total)+1, min(offset+limit, res.total)
	p.PrevURL, p.NextURL = pageLinks(r.URL, offset, limit, res.total)
	s.render(w, r, http.StatusOK, "diff", p)
}

func modifierClass(mod string) string {
	switch mod {
	case snapdiff.Added:
		return "added"
	case snapdiff.Removed:
		return "removed"
	}
	return "changed"
}

func newSnapshotRow(repoName string, sn repo.Snapshot) snapshotRow {
	return snapshotRow{ID: sn.ID.String(), ShortID: sn.ID.Str(), URL: treeURL(repoName, sn.ID.String(), "/"),
		Time: sn.Time.Format("2006-01-02 15:04:05 -07:00"), Host: sn.Hostname, Tags: sn.Tags, Paths: sn.Paths}
}
