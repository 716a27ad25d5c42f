package console

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/snapdiff"
)

// TestDiff: the diff API and page list what snapdiff finds from one
// snapshot to the next (here the big folder removed, a file changed and
// one added), paged so that the pages joined are the whole list, with the
// statistics on every page; the snapshots page links two to it; a
// request that names no two snapshots is refused.
func TestDiff(t *testing.T) {
	f := newFixture(t)
	must(t, os.RemoveAll(filepath.Join(f.data, "big")))
	must(t, os.WriteFile(filepath.Join(f.data, "etc/motd"), []byte("changed\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(f.data, "new.txt"), []byte("new\n"), 0o644))
	c, err := backup.RunPaths(t.Context(), f.r, []string{f.data}, backup.PathOptions{Host: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, f.r.LoadIndex(t.Context()))
	alpha, err := f.r.LoadSnapshot(t.Context(), f.alpha)
	if err != nil {
		t.Fatal(err)
	}
	var want []snapdiff.Change
	wantStats, err := snapdiff.Diff(t.Context(), f.r, *alpha.Tree, *c.Snapshot.Tree, snapdiff.Options{}, func(c snapdiff.Change) error {
		want = append(want, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != bigFolder+3 {
		t.Fatalf("snapdiff found %d changes, want %d", len(want), bigFolder+3)
	}
	var got []snapdiff.Change
	for offset := 0; ; {
		var d diffJSON
		res := f.get(t, "/api/v1/repositories/default/diff?a="+f.alpha.Str()+"&b="+c.ID.String()+"&limit=500&offset="+strconv.Itoa(offset), testToken)
		if err := json.Unmarshal(readBody(t, res), &d); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET diff offset %d: %d %v", offset, res.StatusCode, err)
		}
		if d.Total != len(want) || d.Stats != wantStats || d.A != f.alpha.String() {
			t.Fatalf("diff page at %d: total %d, stats %+v, a %s; want %d, %+v", offset, d.Total, d.Stats, d.A, len(want), wantStats)
		}
		got = append(got, d.Changes...)
		if offset += 500; offset >= d.Total {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the API's pages joined differ from snapdiff's %d changes", len(want))
	}

	page := string(readBody(t, f.get(t, "/repositories/default/diff?a="+f.alpha.Str()+"&b="+c.ID.Str(), testToken)))
	for _, w := range []string{"1–200 of 1203 changes", `rel="next"`, "1 new, 1200 removed, 1 changed",
		`href="` + treeURL("default", f.alpha.String(), filepath.ToSlash(f.data)+"/big")} {
		if !strings.Contains(page, w) {
			t.Errorf("diff page lacks %q", w)
		}
	}
	last := string(readBody(t, f.get(t, "/repositories/default/diff?a="+f.alpha.Str()+"&b="+c.ID.Str()+"&offset=1200", testToken)))
	if w := `href="` + treeURL("default", c.ID.String(), filepath.ToSlash(f.data)+"/etc/motd") + `"`; !strings.Contains(last, w) || !strings.Contains(last, "1201–1203 of 1203") {
		t.Errorf("the diff's last page lacks %q", w)
	}
	list := string(readBody(t, f.get(t, "/repositories/default/snapshots", testToken)))
	for _, w := range []string{`<form id="diff"`, `action="/repositories/default/diff"`, `form="diff" name="a" value="` + f.beta.String() + `" aria-label="diff from ` + f.beta.Str() + `" checked`,
		`form="diff" name="b" value="` + c.ID.String() + `" aria-label="diff to ` + c.ID.Str() + `" checked`} {
		if !strings.Contains(list, w) {
			t.Errorf("snapshots page lacks %q", w)
		}
	}
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"a=" + f.alpha.Str(), http.StatusBadRequest},
		{"a=" + f.alpha.Str() + "&b=ffffffff", http.StatusNotFound},
		{"a=latest&b=latest&limit=0", http.StatusBadRequest},
	} {
		if res := f.get(t, "/api/v1/repositories/default/diff?"+tc.query, testToken); res.StatusCode != tc.status {
			t.Errorf("diff?%s: %d, want %d", tc.query, res.StatusCode, tc.status)
		}
	}
}
