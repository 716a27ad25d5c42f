package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// previewCap is how much of a file its page shows as text.
const previewCap = 256 << 10

// templates are the pages, each parsed with the shared layout.
type templates struct{ byName map[string]*template.Template }

func parseTemplates() (*templates, error) {
	funcs := template.FuncMap{"bytes": func(n uint64) string { return humanize.Bytes(n, 1) }}
	t := &templates{byName: map[string]*template.Template{}}
	pages, err := fs.Glob(assets, "assets/templates/page_*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(path.Base(p), "page_"), ".html")
		tmpl, err := template.New(name).Funcs(funcs).ParseFS(assets, "assets/templates/layout.html", "assets/templates/partials.html", p)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", p, err)
		}
		t.byName[name] = tmpl
	}
	return t, nil
}

// frame is what every page gets: its own data, and what the layout needs.
type frame struct {
	Title  string
	Repo   string // the repository the page is of, for the header's link
	Authed bool   // show the logout button
	Page   any
}

// render writes page name with data; templates are executed into a buffer
// first, so that a failing one answers 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data titled) {
	var buf bytes.Buffer
	f := frame{Title: data.title(), Repo: r.PathValue("repo"), Authed: name != "login", Page: data}
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", f); err != nil {
		s.log.Error("console page failed", "page", name, "err", err)
		http.Error(w, "page failed, see the log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type titled interface{ title() string }

type loginPage struct {
	Next   string
	Failed bool
}

func (loginPage) title() string { return "Log in" }

type errorPage struct {
	Status  int
	Message string
}

func (p errorPage) title() string { return http.StatusText(p.Status) }

type snapshotsPage struct {
	Repo             string
	Host, Tag, Path  string // the filter, as given
	Since, Until     string
	Rows             []snapshotRow
	Total            int
	From, To         int // 1-based, for "From–To of Total"
	PrevURL, NextURL string
	DiffURL          string // the diff form's action
}

func (p snapshotsPage) title() string { return "Snapshots of " + p.Repo }

type snapshotRow struct {
	ID, ShortID, URL string
	Time             string
	Host             string
	Tags, Paths      []string
	DiffA, DiffB     bool // preselected as a side of the diff form
}

// pageSnapshots lists the snapshots, newest first, filtered and paged.
func (s *Server) pageSnapshots(w http.ResponseWriter, r *http.Request) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offset, limit, err := paging(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filter, err := parseSnapshotFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var sns []repo.Snapshot
	err = src.read(r.Context(), func(ctx context.Context) (err error) {
		sns, err = src.snapshots(ctx, filter)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	p := snapshotsPage{Repo: src.name, Host: q.Get("host"), Tag: q.Get("tag"), Path: q.Get("path"),
		Since: q.Get("since"), Until: q.Get("until"), Total: len(sns)}
	lo, hi := min(offset, len(sns)), min(offset+limit, len(sns))
	for i := len(sns) - 1 - lo; i >= len(sns)-hi; i-- {
		p.Rows = append(p.Rows, newSnapshotRow(src.name, sns[i]))
	}
	p.From, p.To = lo+1, hi
	p.PrevURL, p.NextURL = pageLinks(r.URL, offset, limit, len(sns))
	if len(p.Rows) > 1 { // the newest two, preselected for a diff
		p.Rows[0].DiffB, p.Rows[1].DiffA = true, true
	}
	p.DiffURL = "/repositories/" + url.PathEscape(src.name) + "/diff"
	s.render(w, r, http.StatusOK, "snapshots", p)
}

// pageLinks are the URLs of the previous and next pages of a paged list
// ("" where there is none), keeping the other query parameters.
func pageLinks(u *url.URL, offset, limit, total int) (prev, next string) {
	at := func(off int) string {
		q := u.Query()
		q.Set("offset", strconv.Itoa(off))
		if off == 0 {
			q.Del("offset")
		}
		if limit == defaultLimit {
			q.Del("limit")
		} else {
			q.Set("limit", strconv.Itoa(limit))
		}
		v := u.Path
		if e := q.Encode(); e != "" {
			v += "?" + e
		}
		return v
	}
	if offset > 0 {
		prev = at(max(0, offset-limit))
	}
	if offset+limit < total {
		next = at(offset + limit)
	}
	return prev, next
}

// crumb is one step of a breadcrumb.
type crumb struct{ Name, URL string }

type treePage struct {
	Repo, SnapshotID, ShortID, Host, Time string
	Path                                  string
	Crumbs                                []crumb
	Rows                                  []entryRow
	Total, From, To                       int
	PrevURL, NextURL, DownloadURL         string
	RestoreURL                            string  // the restore form's action; empty without a history
	AppRestores                           []crumb // plans of the app and volume restores the snapshot offers
}

func (p treePage) title() string { return p.Path + " in snapshot " + p.ShortID }

type entryRow struct {
	Name, Path, URL, Type, Size, ModTime, Mode, Owner string
	IsDir                                             bool
}

type filePage struct {
	treePage
	Size         string
	ModTime      string
	Mode, Owner  string
	Text         string // the preview, if the file is text
	Truncated    bool   // the preview is the file's start only
	Binary       bool
	Downloadable bool   // a regular file
	Type         string // the node's type
}

// pageTree shows a folder of a snapshot, or a file's page.
func (s *Server) pageTree(w http.ResponseWriter, r *http.Request) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := cleanPath(r.PathValue("path"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offset, limit, err := paging(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var page titled
	var name string
	err = src.read(r.Context(), func(ctx context.Context) error {
		sn, err := src.snapshot(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		n, err := src.lookup(ctx, sn, p)
		if err != nil {
			return err
		}
		tp := newTreePage(src.name, sn, p)
		if s.history != nil {
			tp.RestoreURL = "/repositories/" + src.name + "/snapshots/" + sn.ID.String() + "/restore"
		}
		if s.stateDir != "" {
			tp.AppRestores = appRestoreLinks(src.name, sn)
		}
		if n.Type != format.NodeDir {
			name = "file"
			page, err = src.filePage(ctx, tp, n)
			return err
		}
		f, err := src.list(ctx, n, p, offset, limit)
		if err != nil {
			return err
		}
		tp.fill(f, r.URL)
		name, page = "tree", tp
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, name, page)
}

func newTreePage(repoName string, sn repo.Snapshot, p string) treePage {
	id := sn.ID.String()
	tp := treePage{Repo: repoName, SnapshotID: id, ShortID: sn.ID.Str(), Host: sn.Hostname,
		Time: sn.Time.Format("2006-01-02 15:04:05 -07:00"), Path: p, DownloadURL: downloadURL(repoName, id, p)}
	tp.Crumbs = append(tp.Crumbs, crumb{Name: sn.ID.Str(), URL: treeURL(repoName, id, "/")})
	walked := ""
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if seg == "" {
			continue
		}
		walked += "/" + seg
		tp.Crumbs = append(tp.Crumbs, crumb{Name: seg, URL: treeURL(repoName, id, walked)})
	}
	return tp
}

// fill adds a folder page's entries and paging links.
func (tp *treePage) fill(f folder, u *url.URL) {
	for _, n := range f.Nodes {
		row := entryRow{Name: n.Name, Path: path.Join(f.Path, n.Name), URL: treeURL(tp.Repo, tp.SnapshotID, path.Join(f.Path, n.Name)),
			Type: string(n.Type), ModTime: formatTime(n.ModTime), Mode: n.Mode.String(), Owner: owner(n),
			IsDir: n.Type == format.NodeDir}
		if n.Type == format.NodeFile {
			row.Size = humanize.Bytes(n.Size, 1)
		}
		if n.Type == format.NodeSymlink {
			row.Type = "symlink → " + n.LinkTarget
		}
		tp.Rows = append(tp.Rows, row)
	}
	tp.Total = f.Total
	tp.From, tp.To = min(f.Offset, f.Total)+1, min(f.Offset+f.Limit, f.Total)
	tp.PrevURL, tp.NextURL = pageLinks(u, f.Offset, f.Limit, f.Total)
}

// filePage describes node n and, for a text file, shows its start.
func (src *source) filePage(ctx context.Context, tp treePage, n *format.Node) (filePage, error) {
	fp := filePage{treePage: tp, Size: humanize.Bytes(n.Size, 1) + " (" + strconv.FormatUint(n.Size, 10) + " bytes)",
		ModTime: formatTime(n.ModTime), Mode: n.Mode.String(), Owner: owner(n),
		Downloadable: n.Type == format.NodeFile, Type: string(n.Type)}
	if n.Type != format.NodeFile {
		fp.Binary = true
		return fp, nil
	}
	head := &capWriter{max: previewCap}
	err := snaptree.WriteContent(ctx, src.r, n, head)
	if err != nil && !errors.Is(err, errCapped) {
		return filePage{}, err
	}
	fp.Truncated = n.Size > uint64(len(head.buf))
	text := head.buf
	if fp.Truncated {
		text = trimPartialRune(text)
	}
	if bytes.IndexByte(text, 0) >= 0 || !utf8.Valid(text) {
		fp.Binary = true
		return fp, nil
	}
	fp.Text = string(text)
	return fp, nil
}

var errCapped = errors.New("preview is full")

// capWriter keeps the first max bytes written and then stops the writer.
type capWriter struct {
	buf []byte
	max int
}

func (c *capWriter) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if len(p) > room {
		c.buf = append(c.buf, p[:room]...)
		return room, errCapped
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// trimPartialRune drops an incomplete UTF-8 sequence that a cut left at
// the end.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size > 1 {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

func owner(n *format.Node) string {
	u, g := n.User, n.Group
	if u == "" {
		u = strconv.FormatUint(uint64(n.UID), 10)
	}
	if g == "" {
		g = strconv.FormatUint(uint64(n.GID), 10)
	}
	return u + ":" + g
}

func formatTime(t time.Time) string { return t.Format("2006-01-02 15:04:05") }

// treeURL is the page of path p ("/" for the root) in a snapshot.
func treeURL(repoName, id, p string) string {
	return "/repositories/" + url.PathEscape(repoName) + "/snapshots/" + id + "/tree" + escapePath(p)
}

// downloadURL is the API's download of path p in a snapshot.
func downloadURL(repoName, id, p string) string {
	return "/api/v1/repositories/" + url.PathEscape(repoName) + "/snapshots/" + id + "/download" + escapePath(p)
}

// escapePath escapes each segment of an absolute path: a name may hold
// "?", "#" or "%".
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
