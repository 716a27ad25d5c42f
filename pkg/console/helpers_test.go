package console

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/secret"
)

const testToken = "0123456789abcdef0123456789abcdef-test-token"

// bigFolder holds this many files, more than two default pages.
const bigFolder = 1200

// fixture is a console over a real local repository with two snapshots
// that drydock's own backup made of data.
type fixture struct {
	srv   *httptest.Server
	con   *Server
	r     *repo.Repository
	dir   string            // the repository's directory
	data  string            // the backed-up directory, as its path in the snapshots
	alpha format.ID         // host alpha, tag web: the older snapshot
	beta  format.ID         // host beta: the newer
	files map[string][]byte // relative to data
	jobs  *pathJobs         // docs backs up data, broken a path that is not absolute, slow waits for its gate
	ops   *oplog.Log
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	r, dir := repotest.New(t, 2, repo.Options{TreeCache: repo.DefaultTreeCache})
	data := filepath.Join(t.TempDir(), "data")
	bin := make([]byte, 300<<10)
	rand.Read(bin)
	files := map[string][]byte{
		"etc/app/config.txt": []byte("listen = 8080\nname = \"drydock <test> & co\"\n"),
		"etc/app/empty.txt":  {},
		"etc/motd":           []byte("hello\n"),
		"bin/blob.bin":       bin,
		"odd/a?b#c%d.txt":    []byte("odd name\n"),
	}
	for i := range bigFolder {
		files[fmt.Sprintf("big/f%05d.txt", i)] = fmt.Appendf(nil, "file %d\n", i)
	}
	for name, b := range files {
		p := filepath.Join(data, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(data, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := &fixture{r: r, dir: dir, data: data, files: files}
	a, err := backup.RunPaths(t.Context(), r, []string{data}, backup.PathOptions{Host: "alpha", Tags: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := backup.RunPaths(t.Context(), r, []string{data}, backup.PathOptions{Host: "beta", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	f.alpha, f.beta = a.ID, b.ID
	if f.ops, err = oplog.Open(filepath.Join(t.TempDir(), "history"), 100); err != nil {
		t.Fatal(err)
	}
	f.jobs = newPathJobs(r, f.ops, map[string][]string{
		"docs": {filepath.Join(data, "etc")}, "broken": {"not/absolute"}, "slow": {filepath.Join(data, "etc")}})
	f.jobs.gate["slow"] = make(chan struct{})
	f.con, err = New(Options{Repositories: map[string]*repo.Repository{"default": r}, Token: secret.New(testToken), Jobs: f.jobs, History: f.ops})
	if err != nil {
		t.Fatal(err)
	}
	f.con.limit.delay = 0
	f.srv = httptest.NewServer(f.con)
	t.Cleanup(f.srv.Close)
	return f
}

// get sends a GET with the bearer token (auth "" sends none).
func (f *fixture) get(t *testing.T, path, auth string) *http.Response {
	t.Helper()
	return f.do(t, http.MethodGet, path, auth, nil)
}

// do sends a request with the bearer token auth (none if ""), changed by
// the edits given.
func (f *fixture) do(t *testing.T, method, path, auth string, body io.Reader, edits ...func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	for _, e := range edits {
		e(req)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapPath is the path of the backed-up file rel in the snapshots, URL
// escaped as the console's links escape it.
func (f *fixture) snapPath(rel string) string {
	return escapePath(strings.TrimSuffix(filepath.ToSlash(f.data)+"/"+rel, "/"))
}

func tokenValue(s string) secret.Value { return secret.New(s) }
