package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backup"
)

// TestSnapshotsTimeFilter: ?since= and ?until= (RFC 3339 or a date, the
// until day included) narrow the snapshots API and page, combined with
// the host filter; the page's form keeps them; a malformed time or an
// empty range is refused.
func TestSnapshotsTimeFilter(t *testing.T) {
	f := newFixture(t)
	ids := map[string]string{}
	for _, day := range []string{"2025-03-01", "2025-03-02", "2025-03-03"} {
		at, _ := time.ParseInLocation(time.DateOnly, day, time.Local)
		for i, host := range []string{"h1", "h2"} { // h1 at noon, h2 an hour later
			res, err := backup.RunPaths(t.Context(), f.r, []string{f.data}, backup.PathOptions{Host: host, Time: at.Add(time.Duration(12+i) * time.Hour), Force: true})
			if err != nil {
				t.Fatal(err)
			}
			ids[host+" "+day] = res.ID.String()
		}
	}
	noon2 := func(day string) string {
		at, _ := time.ParseInLocation(time.DateOnly, day, time.Local)
		return at.Add(12 * time.Hour).UTC().Format(time.RFC3339)
	}
	for _, tc := range []struct {
		query string
		want  []string // host day, oldest first
	}{
		{"since=2025-03-02&host=h1", []string{"h1 2025-03-02", "h1 2025-03-03"}},
		{"until=2025-03-02&host=h2", []string{"h2 2025-03-01", "h2 2025-03-02"}},
		{"since=2025-03-02&until=2025-03-02", []string{"h1 2025-03-02", "h2 2025-03-02"}},
		{"since=" + url.QueryEscape(noon2("2025-03-03")) + "&host=h2", []string{"h2 2025-03-03"}},
		{"until=" + url.QueryEscape(noon2("2025-03-01")) + "&host=h1", nil}, // until is exclusive
		{"since=2025-04-01&until=2025-05-01", nil},
	} {
		res := f.get(t, "/api/v1/repositories/default/snapshots?"+tc.query, testToken)
		var got []struct{ ID string }
		if err := json.Unmarshal(readBody(t, res), &got); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", tc.query, res.StatusCode, err)
		}
		var want []string
		for _, k := range tc.want {
			want = append(want, ids[k])
		}
		var have []string
		for _, sn := range got {
			have = append(have, sn.ID)
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", tc.query, have, tc.want)
		}
	}
	page := string(readBody(t, f.get(t, "/repositories/default/snapshots?since=2025-03-02&until=2025-03-02&host=h1", testToken)))
	for _, w := range []string{`name="since" value="2025-03-02"`, `name="until" value="2025-03-02"`, "1–1 of 1", ids["h1 2025-03-02"][:8]} {
		if !strings.Contains(page, w) {
			t.Errorf("filtered page lacks %q", w)
		}
	}
	for _, q := range []string{"since=yesterday", "until=2025-13-01", "since=2025-03-03&until=2025-03-01"} {
		if res := f.get(t, "/api/v1/repositories/default/snapshots?"+q, testToken); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, res.StatusCode)
		}
		if res := f.get(t, "/repositories/default/snapshots?"+q, testToken); res.StatusCode != http.StatusBadRequest {
			t.Errorf("page %s: %d, want 400", q, res.StatusCode)
		}
	}
}
