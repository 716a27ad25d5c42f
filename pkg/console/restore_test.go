package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

func TestLiteralPattern(t *testing.T) {
	for _, tc := range []struct {
		path, other string // path matches itself, never other
	}{
		{"/d/a?b", "/d/axb"},
		{"/d/[ab]", "/d/a"},
		{"/d/*", "/d/x"},
		{`/d/back\slash`, "/d/backslash"},
	} {
		l, err := pathmatch.Parse([]string{literalPattern(tc.path)})
		if err != nil {
			t.Fatalf("%q: %v", tc.path, err)
		}
		if !l.Match(tc.path) || l.Match(tc.other) || !l.Match(tc.path+"/below") {
			t.Errorf("literalPattern(%q) = %q: matches itself %v, %q %v, below %v", tc.path, literalPattern(tc.path),
				l.Match(tc.path), tc.other, l.Match(tc.other), l.Match(tc.path+"/below"))
		}
	}
}

// TestRestoreThroughAPI: a restore asked for through the API or the tree
// page's form restores exactly the entries named (odd names too) into an
// existing directory, as an operation of the history; a target that is
// relative, missing, a file or behind a symlink is refused before
// anything starts.
func TestRestoreThroughAPI(t *testing.T) {
	f := newFixture(t)
	data := filepath.ToSlash(f.data)
	target := t.TempDir()
	post := func(req restoreRequest, edits ...func(*http.Request)) (*http.Response, []byte) {
		b, _ := json.Marshal(req)
		res := f.do(t, http.MethodPost, "/api/v1/repositories/default/restore", testToken, bytes.NewReader(b), edits...)
		return res, readBody(t, res)
	}
	res, body := post(restoreRequest{Snapshot: f.beta.Str(), Paths: []string{data + "/etc/app", data + "/odd/a?b#c%d.txt"}, Target: target})
	var op oplog.Operation
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(body, &op) != nil || op.Kind != "restore" {
		t.Fatalf("POST restore: %d %s", res.StatusCode, body)
	}
	if done := f.waitOperation(t, op.ID); done.Status != oplog.Success || done.Bytes == 0 {
		t.Fatalf("restore ended %+v", done)
	}
	for _, rel := range []string{"etc/app/config.txt", "etc/app/empty.txt", "odd/a?b#c%d.txt"} {
		got, err := os.ReadFile(filepath.Join(target, f.data, rel))
		if err != nil || !bytes.Equal(got, f.files[rel]) {
			t.Errorf("restored %s: %q, %v", rel, got, err)
		}
	}
	for _, rel := range []string{"etc/motd", "big", "bin"} {
		if _, err := os.Lstat(filepath.Join(target, f.data, rel)); err == nil {
			t.Errorf("%s was restored although not asked for", rel)
		}
	}

	file := filepath.Join(t.TempDir(), "file")
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.WriteFile(file, nil, 0o600))
	must(t, os.Symlink(target, link))
	before := len(f.ops.List(0))
	for _, tc := range []struct {
		name   string
		req    restoreRequest
		status int
		want   string
	}{
		{"relative", restoreRequest{Snapshot: "latest", Target: "restore/here"}, 400, "absolute"},
		{"missing", restoreRequest{Snapshot: "latest", Target: "/nonexistent/dir"}, 400, "create it first"},
		{"file", restoreRequest{Snapshot: "latest", Target: file}, 400, "not a directory"},
		{"symlink", restoreRequest{Snapshot: "latest", Target: link}, 400, "symlink"},
		{"no snapshot", restoreRequest{Target: target}, 400, "which snapshot"},
		{"unknown snapshot", restoreRequest{Snapshot: "ffffffff", Target: target}, 404, ""},
		{"path not in the snapshot", restoreRequest{Snapshot: "latest", Paths: []string{data + "/no/such"}, Target: target}, 404, ""},
	} {
		res, body := post(tc.req)
		if res.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want %d and %q", tc.name, res.StatusCode, body, tc.status, tc.want)
		}
	}
	if res, _ := post(restoreRequest{Snapshot: "latest", Target: target}, func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }); res.StatusCode != http.StatusForbidden {
		t.Errorf("restore from another site: %d, want 403", res.StatusCode)
	}
	if after := len(f.ops.List(0)); after != before {
		t.Errorf("refused restores started %d operations", after-before)
	}

	// The tree page's form: the folder shown when nothing is ticked.
	page := string(readBody(t, f.get(t, treeURL("default", f.beta.String(), data+"/etc"), testToken)))
	if !strings.Contains(page, `id="restore"`) || !strings.Contains(page, `name="path" value="`+data+`/etc/motd"`) {
		t.Fatalf("tree page lacks the restore form")
	}
	second := t.TempDir()
	form := url.Values{"target": {second}, "folder": {data + "/etc"}}
	fres := f.do(t, http.MethodPost, "/repositories/default/snapshots/"+f.beta.String()+"/restore", testToken, strings.NewReader(form.Encode()),
		func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") })
	loc := fres.Header.Get("Location")
	if fres.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/operations/") {
		t.Fatalf("restore form: %d to %q", fres.StatusCode, loc)
	}
	if done := f.waitOperation(t, strings.TrimPrefix(loc, "/operations/")); done.Status != oplog.Success {
		t.Fatalf("form restore ended %+v", done)
	}
	if got, err := os.ReadFile(filepath.Join(second, f.data, "etc/motd")); err != nil || !bytes.Equal(got, f.files["etc/motd"]) {
		t.Errorf("form restore of the folder: etc/motd %q, %v", got, err)
	}
	if _, err := os.Lstat(filepath.Join(second, f.data, "bin")); err == nil {
		t.Error("the form restored more than the folder")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
