package retention_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// TestTagListMatches: restic 0.14's results for --tag/--keep-tag values
// against a snapshot tagged a,b and an untagged one (checked with
// /usr/bin/restic forget --dry-run).
func TestTagListMatches(t *testing.T) {
	for _, tc := range []struct {
		flag                string
		tagged, untagged    bool
		wantString          string
		wantParsedTagsCount int
	}{
		{"a", true, false, "[a]", 1},
		{" a ", true, false, "[a]", 1},
		{"b,a", true, false, "[b, a]", 2},
		{"a,c", false, false, "[a, c]", 2},
		{"", false, true, "[]", 1},
		{",,", false, true, "[, , ]", 3},
		{",a", false, true, "[, a]", 2},
		{"a,", false, false, "[a, ]", 2},
		{"a,,b", false, false, "[a, , b]", 3},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			l := retention.ParseTagList(tc.flag)
			if l.String() != tc.wantString || len(l) != tc.wantParsedTagsCount {
				t.Errorf("ParseTagList(%q) = %q (%d tags), want %q (%d)", tc.flag, l.String(), len(l), tc.wantString, tc.wantParsedTagsCount)
			}
			if got := l.Matches([]string{"a", "b"}); got != tc.tagged {
				t.Errorf("%q matches tags a,b: %v, want %v", tc.flag, got, tc.tagged)
			}
			if got := l.Matches(nil); got != tc.untagged {
				t.Errorf("%q matches no tags: %v, want %v", tc.flag, got, tc.untagged)
			}
		})
	}
}

func TestTagListsFlag(t *testing.T) {
	var ls retention.TagLists
	if !ls.MatchesAny([]string{"x"}) {
		t.Error("no --tag filter must match everything")
	}
	for _, v := range []string{"a,b", "c"} {
		if err := ls.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got := ls.String(); got != "[[a, b] [c]]" {
		t.Errorf("String() = %q", got)
	}
	for _, tc := range []struct {
		tags []string
		want bool
	}{{[]string{"b", "a"}, true}, {[]string{"c", "z"}, true}, {[]string{"a"}, false}, {nil, false}} {
		if got := ls.MatchesAny(tc.tags); got != tc.want {
			t.Errorf("MatchesAny(%v) = %v, want %v", tc.tags, got, tc.want)
		}
	}
}

func TestParseGroupBy(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"host,paths", "host,paths"},
		{"hosts,path,tag", "host,paths,tags"},
		{"tags,host", "host,tags"},
		{"", ""},
		{",", ""},
		{"paths,,paths", "paths"},
	} {
		g, err := retention.ParseGroupBy(tc.in)
		if err != nil || g.String() != tc.want {
			t.Errorf("ParseGroupBy(%q) = %q, %v; want %q", tc.in, g.String(), err, tc.want)
		}
	}
	for _, in := range []string{"host, paths", "bogus", "Host", "time"} {
		var g retention.GroupBy
		if err := g.Set(in); err == nil || !strings.Contains(err.Error(), "unknown --group-by") {
			t.Errorf("Set(%q) = %v, want an unknown field error", in, err)
		}
	}
}

// TestGroupSplit: keys carry only the grouped fields, with sorted paths and
// tags, and encode as restic's group keys do.
func TestGroupSplit(t *testing.T) {
	sns := []repo.Snapshot{
		snap(0, "2024-01-01T00:00:00Z", "h1", []string{"/b", "/a"}, []string{"y", "x"}),
		snap(1, "2024-01-02T00:00:00Z", "h1", []string{"/a", "/b"}, []string{"x", "y"}),
		snap(2, "2024-01-03T00:00:00Z", "h2", []string{"/a", "/b"}, nil),
		snap(3, "2024-01-04T00:00:00Z", "h1", []string{"/a"}, nil),
	}
	for _, tc := range []struct {
		by   string
		want []string // JSON key: snapshot numbers
	}{
		{"host,paths", []string{
			`{"hostname":"h1","paths":["/a","/b"],"tags":null}:0,1`,
			`{"hostname":"h1","paths":["/a"],"tags":null}:3`,
			`{"hostname":"h2","paths":["/a","/b"],"tags":null}:2`,
		}},
		{"", []string{`{"hostname":"","paths":null,"tags":null}:0,1,2,3`}},
		{"tags", []string{
			`{"hostname":"","paths":null,"tags":["x","y"]}:0,1`,
			`{"hostname":"","paths":null,"tags":null}:2,3`,
		}},
	} {
		t.Run(tc.by, func(t *testing.T) {
			by, err := retention.ParseGroupBy(tc.by)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range by.Split(sns) {
				key, err := json.Marshal(g.Key)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(key)+":"+numbers(g.Snapshots))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	if !slices.Equal(sns[0].Paths, []string{"/b", "/a"}) {
		t.Errorf("Split changed a snapshot's paths: %v", sns[0].Paths)
	}
}

func TestFilter(t *testing.T) {
	sns := []repo.Snapshot{
		snap(0, "2024-01-01T00:00:00Z", "h1", []string{"/srv", "/etc"}, []string{"nightly"}),
		snap(1, "2024-01-02T00:00:00Z", "h2", []string{"/srv"}, nil),
		snap(2, "2024-01-03T00:00:00Z", "h3", []string{"/etc/"}, []string{"manual", "nightly"}),
	}
	for _, tc := range []struct {
		name string
		f    retention.Filter
		want string
	}{
		{"none", retention.Filter{}, "0,1,2"},
		{"hosts", retention.Filter{Hosts: []string{"h1", "h3", "h9"}}, "0,2"},
		{"all paths", retention.Filter{Paths: []string{"/srv", "/etc"}}, "0"},
		{"paths not cleaned", retention.Filter{Paths: []string{"/etc"}}, "0"},
		{"tag lists", retention.Filter{Tags: retention.TagLists{{"manual"}, {"nightly", "x"}}}, "2"},
		{"untagged", retention.Filter{Tags: retention.TagLists{{""}}}, "1"},
		{"all parts", retention.Filter{Hosts: []string{"h1", "h2"}, Paths: []string{"/srv"}, Tags: retention.TagLists{{"nightly"}}}, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := numbers(tc.f.Select(sns)); got != tc.want {
				t.Errorf("selected %s, want %s", got, tc.want)
			}
		})
	}
}
