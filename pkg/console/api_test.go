package console

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/resticjson"
)

func decode[T any](t *testing.T, res *http.Response) T {
	t.Helper()
	var v T
	body := readBody(t, res)
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v in %s", res.Request.URL.Path, err, body)
	}
	return v
}

// TestSnapshotsAPI: the list in restic's snapshots --json shape, oldest
// first, filtered by host, tag and path.
func TestSnapshotsAPI(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{f.alpha.String(), f.beta.String()}},
		{"?host=alpha", []string{f.alpha.String()}},
		{"?host=beta&host=alpha", []string{f.alpha.String(), f.beta.String()}},
		{"?tag=web", []string{f.alpha.String()}},
		{"?tag=web,nope", nil},
		{"?path=" + f.data, []string{f.alpha.String(), f.beta.String()}},
		{"?path=/elsewhere", nil},
	} {
		res := f.get(t, "/api/v1/repositories/default/snapshots"+c.query, testToken)
		raw := readBody(t, res)
		var got []map[string]any
		if err := json.Unmarshal(raw, &got); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %v %s", c.query, res.Status, err, raw)
		}
		var ids []string
		for _, sn := range got {
			ids = append(ids, sn["id"].(string))
			for _, k := range []string{"time", "tree", "paths", "hostname", "short_id"} {
				if _, ok := sn[k]; !ok {
					t.Errorf("%s: snapshot without %q: %v", c.query, k, sn)
				}
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.query, ids, c.want)
		}
		if c.want == nil && strings.TrimSpace(string(raw)) != "[]" {
			t.Errorf("%s: none is %s, want []", c.query, raw)
		}
	}
}

// TestSnapshotRefs: restic's ways of naming a snapshot resolve; unknown
// ones are 404, malformed ones 400.
func TestSnapshotRefs(t *testing.T) {
	f := newFixture(t)
	for ref, want := range map[string]string{
		"latest": f.beta.String(), f.alpha.String(): f.alpha.String(), f.alpha.String()[:8]: f.alpha.String(),
	} {
		got := decode[resticjson.Snapshot](t, f.get(t, "/api/v1/repositories/default/snapshots/"+ref, testToken))
		if got.ID != want {
			t.Errorf("snapshot %s is %s, want %s", ref, got.ID, want)
		}
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/v1/repositories/default/snapshots/00000000", 404},
		{"/api/v1/repositories/default/snapshots/00000000/tree/", 404},
		{"/api/v1/repositories/default/snapshots/00000000/download/", 404},
		{"/api/v1/repositories/default/snapshots/not-an-id", 400},
		{"/api/v1/repositories/default/snapshots/LATEST/tree/", 400},
		{"/api/v1/repositories/other/snapshots", 404},
		{"/api/v1/repositories/other/snapshots/latest/tree/", 404},
		{"/api/v1/repositories/default/snapshots/latest/tree/no/such/dir", 404},
		{"/api/v1/repositories/default/snapshots/latest/tree" + f.snapPath("etc/motd") + "/below", 404},
		{"/api/v1/repositories/default/snapshots/latest/tree" + f.snapPath("etc/motd"), 400},
		{"/api/v1/repositories/default/snapshots/latest/tree/?limit=0", 400},
		{"/api/v1/repositories/default/snapshots/latest/tree/?offset=-1", 400},
		{"/api/v1/repositories/default/snapshots/latest/tree/?limit=x", 400},
		{"/api/v1/repositories/default/snapshots/latest/download/no/such/file", 404},
		{"/repositories/default/snapshots/00000000/tree/", 404},
		{"/repositories/default/snapshots/latest/tree/no/such", 404},
	} {
		res := f.get(t, c.path, testToken)
		body := readBody(t, res)
		if res.StatusCode != c.status {
			t.Errorf("GET %s: %s %s, want %d", c.path, res.Status, body, c.status)
		}
		if strings.HasPrefix(c.path, "/api/") {
			var e struct{ Error string }
			if json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("GET %s: error answer %s, want {\"error\": ...}", c.path, body)
			}
		}
	}
}

// TestTreePaging: a folder's entries come in pages, in name order, with
// the total; the pages together are the folder.
func TestTreePaging(t *testing.T) {
	f := newFixture(t)
	base := "/api/v1/repositories/default/snapshots/latest/tree" + f.snapPath("big")
	var names []string
	for offset := 0; ; offset += 500 {
		got := decode[treeJSON](t, f.get(t, fmt.Sprintf("%s?offset=%d&limit=500", base, offset), testToken))
		if got.Total != bigFolder || got.Offset != offset || got.Limit != 500 {
			t.Fatalf("page at %d: total %d offset %d limit %d", offset, got.Total, got.Offset, got.Limit)
		}
		if len(got.Nodes) == 0 {
			break
		}
		for _, n := range got.Nodes {
			if n.Type != "file" || n.Path != path.Join(f.data, "big", n.Name) || n.Size == nil {
				t.Fatalf("node %+v", n)
			}
			names = append(names, n.Name)
		}
	}
	if len(names) != bigFolder || names[0] != "f00000.txt" || names[bigFolder-1] != fmt.Sprintf("f%05d.txt", bigFolder-1) {
		t.Fatalf("pages hold %d names from %v", len(names), names[:3])
	}
	root := decode[treeJSON](t, f.get(t, "/api/v1/repositories/default/snapshots/latest/tree"+f.snapPath(""), testToken))
	var got []string
	for _, n := range root.Nodes {
		got = append(got, n.Name+":"+n.Type)
	}
	if want := "[big:dir bin:dir emptydir:dir etc:dir odd:dir]"; fmt.Sprint(got) != want {
		t.Errorf("data folder: %v, want %s", got, want)
	}
}

// TestTreeCache: the first page of a folder decodes the trees on its way
// and no other; browsing it again decodes none.
func TestTreeCache(t *testing.T) {
	f := newFixture(t)
	p := f.snapPath("big")
	depth := strings.Count(p, "/") + 1 // the root's tree, each folder's on the way, the folder's
	url := "/api/v1/repositories/default/snapshots/" + f.beta.String() + "/tree" + p + "?limit=10"
	before, _ := f.r.TreeCounters()
	readBody(t, f.get(t, url, testToken))
	cold, _ := f.r.TreeCounters()
	readBody(t, f.get(t, url, testToken))
	warm, _ := f.r.TreeCounters()
	if cold-before != uint64(depth) || warm != cold {
		t.Errorf("trees decoded: %d cold (want %d), %d warm (want 0)", cold-before, depth, warm-cold)
	}
}

// TestDownloadFile: a file's bytes, as an attachment.
func TestDownloadFile(t *testing.T) {
	f := newFixture(t)
	for _, rel := range []string{"bin/blob.bin", "etc/app/config.txt", "etc/app/empty.txt", "odd/a?b#c%d.txt"} {
		res := f.get(t, "/api/v1/repositories/default/snapshots/latest/download"+f.snapPath(rel), testToken)
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, f.files[rel]) {
			t.Errorf("%s: %s, %d bytes, want %d", rel, res.Status, len(body), len(f.files[rel]))
		}
		if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "application/octet-stream" || !strings.HasPrefix(cd, "attachment") {
			t.Errorf("%s: Content-Type %q, Content-Disposition %q", rel, ct, cd)
		}
	}
}

// TestDownloadFolder: a folder as a tar stream of its entries, named
// below the folder's name, with their contents.
func TestDownloadFolder(t *testing.T) {
	f := newFixture(t)
	res := f.get(t, "/api/v1/repositories/default/snapshots/latest/download"+f.snapPath("etc"), testToken)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-tar" || !strings.Contains(res.Header.Get("Content-Disposition"), `filename=etc.tar`) {
		t.Fatalf("%s %v", res.Status, res.Header)
	}
	tr := tar.NewReader(res.Body)
	var got []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Name)
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			if want := f.files[strings.TrimPrefix(h.Name, "")]; !bytes.Equal(b, want) {
				t.Errorf("%s: %q, want %q", h.Name, b, want)
			}
		}
	}
	if want := "[etc/app/ etc/app/config.txt etc/app/empty.txt etc/motd]"; fmt.Sprint(got) != want {
		t.Errorf("tar entries %v, want %s", got, want)
	}
}

// TestConcurrentRequests: requests at once, each under its own lock and
// index refresh, answer what one at a time would (run with -race).
func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	paths := []string{
		"/api/v1/repositories/default/snapshots",
		"/api/v1/repositories/default/snapshots/latest/tree" + f.snapPath("big") + "?limit=5",
		"/api/v1/repositories/default/snapshots/" + f.alpha.Str() + "/download" + f.snapPath("bin/blob.bin"),
		"/repositories/default/snapshots/latest/tree" + f.snapPath("etc/app/config.txt"),
	}
	errs := make(chan error, 4*len(paths))
	for range 4 {
		for _, p := range paths {
			go func() {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", f.srv.URL+p, nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET %s: %s", p, res.Status)
					}
				}
				errs <- err
			}()
		}
	}
	for range 4 * len(paths) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
