package retention_test

import (
	"errors"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// TestPlan: filters first, then groups (default host,paths), then the
// policy per group.
func TestPlan(t *testing.T) {
	sns := []repo.Snapshot{
		snap(0, "2024-01-01T00:00:00Z", "h1", []string{"/a"}, nil),
		snap(1, "2024-01-02T00:00:00Z", "h1", []string{"/a"}, []string{"x"}),
		snap(2, "2024-01-03T00:00:00Z", "h1", []string{"/b"}, nil),
		snap(3, "2024-01-04T00:00:00Z", "h2", []string{"/a"}, nil),
		snap(4, "2024-01-05T00:00:00Z", "h1", []string{"/a"}, nil),
	}
	tagsOnly := retention.GroupBy{Tags: true}
	for _, tc := range []struct {
		name string
		o    retention.Options
		want []string // per group: keep/remove
	}{
		{"default groups", retention.Options{Policy: retention.Policy{Last: 1}},
			[]string{"4/1,0", "2/", "3/"}},
		{"host filter", retention.Options{Policy: retention.Policy{Last: 1}, Filter: retention.Filter{Hosts: []string{"h2"}}},
			[]string{"3/"}},
		{"by tags", retention.Options{Policy: retention.Policy{Last: 2}, GroupBy: &tagsOnly},
			[]string{"1/", "4,3/2,0"}},
		{"untagged only", retention.Options{Policy: retention.Policy{Last: 1}, GroupBy: &retention.GroupBy{},
			Filter: retention.Filter{Tags: retention.TagLists{{""}}}},
			[]string{"4/3,2,0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := retention.Plan(sns, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range groups {
				got = append(got, numbers(g.Keep)+"/"+numbers(g.Remove))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("groups %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("groups %q, want %q", got, tc.want)
					break
				}
			}
		})
	}
	if _, err := retention.Plan(sns, retention.Options{}); !errors.Is(err, retention.ErrEmptyPolicy) {
		t.Errorf("empty policy: %v", err)
	}
}
