package mount

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func snap(id byte, at, host string, tags ...string) repo.Snapshot {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	var sid format.ID
	for i := range sid {
		sid[i] = id
	}
	return repo.Snapshot{ID: sid, Snapshot: &format.Snapshot{Time: t, Hostname: host, Username: "ann", Tags: tags}}
}

// describe lists every path of l below the root: "path/" for a
// directory, "path -> target" for a link, "path = ID" for a snapshot.
func describe(l layout) string {
	var lines []string
	for _, p := range slices.Sorted(maps.Keys(l)) {
		e := l[p]
		switch {
		case p == "":
		case e.link != "":
			lines = append(lines, p+" -> "+e.link+" ("+e.snapshot.ID.Str()[:2]+")")
		case e.snapshot != nil:
			lines = append(lines, p+" = "+e.snapshot.ID.Str()[:2])
		default:
			lines = append(lines, p+"/")
		}
	}
	return strings.Join(lines, "\n")
}

func TestBuildLayout(t *testing.T) {
	a := snap(0xaa, "2024-01-02T03:04:05Z", "alpha", "web")
	b := snap(0xbb, "2024-01-02T03:04:05Z", "beta", "web", "db")
	c := snap(0xcc, "2024-03-01T10:00:00+01:00", "alpha")
	odd := snap(0xdd, "2024-05-01T00:00:00Z", "", "a/b", "..", "")
	for _, tc := range []struct {
		name      string
		sns       []repo.Snapshot
		templates []string
		timeTmpl  string
		want      string
	}{
		{name: "empty", templates: DefaultPathTemplates, timeTmpl: time.RFC3339,
			want: "/hosts/\n/ids/\n/snapshots/\n/tags/"},
		{name: "restic's default", sns: []repo.Snapshot{a, b, c}, templates: DefaultPathTemplates, timeTmpl: time.RFC3339, want: `
/hosts/
/hosts/alpha/
/hosts/alpha/2024-01-02T03:04:05Z = aa
/hosts/alpha/2024-03-01T10:00:00+01:00 = cc
/hosts/alpha/latest -> 2024-03-01T10:00:00+01:00 (cc)
/hosts/beta/
/hosts/beta/2024-01-02T03:04:05Z = bb
/hosts/beta/latest -> 2024-01-02T03:04:05Z (bb)
/ids/
/ids/aaaaaaaa = aa
/ids/bbbbbbbb = bb
/ids/cccccccc = cc
/snapshots/
/snapshots/2024-01-02T03:04:05Z = aa
/snapshots/2024-01-02T03:04:05Z-1 = bb
/snapshots/2024-03-01T10:00:00+01:00 = cc
/snapshots/latest -> 2024-03-01T10:00:00+01:00 (cc)
/tags/
/tags/db/
/tags/db/2024-01-02T03:04:05Z = bb
/tags/db/latest -> 2024-01-02T03:04:05Z (bb)
/tags/web/
/tags/web/2024-01-02T03:04:05Z = aa
/tags/web/2024-01-02T03:04:05Z-1 = bb
/tags/web/latest -> 2024-01-02T03:04:05Z-1 (bb)`},
		{name: "names made safe", sns: []repo.Snapshot{odd}, templates: []string{"hosts/%h/%T", "tags/%t/%T"}, timeTmpl: "2006-01-02", want: `
/hosts/
/hosts/_/
/hosts/_/2024-05-01 = dd
/hosts/_/latest -> 2024-05-01 (dd)
/tags/
/tags/_/
/tags/_/2024-05-01 = dd
/tags/_/latest -> 2024-05-01 (dd)
/tags/__/
/tags/__/2024-05-01 = dd
/tags/__/latest -> 2024-05-01 (dd)
/tags/a_b/
/tags/a_b/2024-05-01 = dd
/tags/a_b/latest -> 2024-05-01 (dd)`},
		// Equal paths are made unique even without a %T at the end, as
		// restic does.
		{name: "custom templates", sns: []repo.Snapshot{a, c}, templates: []string{"by-user/%u/%h-%T/x", "full/%I", "100%%/%i"}, timeTmpl: "2006", want: `
/100%/
/100%/aaaaaaaa = aa
/100%/cccccccc = cc
/by-user/
/by-user/ann/
/by-user/ann/alpha-2024/
/by-user/ann/alpha-2024/x = aa
/by-user/ann/alpha-2024/x-1 = cc
/full/
/full/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = aa
/full/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc = cc`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(buildLayout(tc.sns, tc.templates, tc.timeTmpl))
			if want := strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("layout:\n%s\n\nwant:\n%s", got, want)
			}
		})
	}
}

func TestCheckTimeTemplate(t *testing.T) {
	for tmpl, ok := range map[string]bool{"": false, "/2006": false, "2006/": false, "2006/01": true, time.RFC3339: true} {
		if err := CheckTimeTemplate(tmpl); (err == nil) != ok {
			t.Errorf("CheckTimeTemplate(%q) = %v, want ok %v", tmpl, err, ok)
		}
	}
}
