package snapedit_test

import (
	"slices"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snapedit"
)

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    snapedit.Change
		tags []string
		want []string
	}{
		{"add keeps order, once", snapedit.Change{Add: []string{"b", "c", "b"}}, []string{"a", "b"}, []string{"a", "b", "c"}},
		{"remove every copy", snapedit.Change{Remove: []string{"a"}}, []string{"a", "b", "a"}, []string{"b"}},
		{"add then remove", snapedit.Change{Add: []string{"x"}, Remove: []string{"x", "a"}}, []string{"a"}, []string{}},
		{"set replaces", snapedit.Change{Replace: true, Set: []string{"y", "z"}}, []string{"a"}, []string{"y", "z"}},
		{"set nothing clears", snapedit.Change{Replace: true}, []string{"a"}, []string{}},
		{"empty tags ignored", snapedit.Change{Add: []string{""}}, nil, nil},
	} {
		if got := tc.c.Apply(tc.tags); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q -> %q, want %q", tc.name, tc.tags, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []snapedit.Change{{}, {Replace: true, Add: []string{"a"}}, {Replace: true, Remove: []string{"a"}}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	for _, c := range []snapedit.Change{{Replace: true}, {Add: []string{"a"}}, {Remove: []string{"a"}}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// TestTags: a changed snapshot is written anew with Original set to its
// first version (kept through a second change) and the old file is gone;
// an unchanged one is left alone.
func TestTags(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID { return c.Tree(c.File("f", 0o644, "x")) })
	save := func(tags ...string) repo.Snapshot {
		doc := &format.Snapshot{Time: time.Now(), Tree: &root, Paths: []string{"/d"}, Hostname: "h", Tags: tags}
		id, err := r.SaveSnapshot(t.Context(), doc)
		if err != nil {
			t.Fatal(err)
		}
		return repo.Snapshot{ID: id, Snapshot: doc}
	}
	a, b := save("keep"), save("old")
	done, err := snapedit.Tags(t.Context(), r, []repo.Snapshot{a, b}, snapedit.Change{Add: []string{"keep"}, Remove: []string{"old"}, Replace: false})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].Old != b.ID || !slices.Equal(done[0].Tags, []string{"keep"}) {
		t.Fatalf("changed %+v, want only %s, tagged keep", done, b.ID.Str())
	}
	second, err := snapedit.Tags(t.Context(), r, []repo.Snapshot{mustLoad(t, r, done[0].New)}, snapedit.Change{Add: []string{"more"}})
	if err != nil || len(second) != 1 {
		t.Fatalf("second change: %+v, %v", second, err)
	}
	sns, err := r.Snapshots(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []format.ID
	for _, sn := range sns {
		ids = append(ids, sn.ID)
	}
	if len(sns) != 2 || !slices.Contains(ids, a.ID) || !slices.Contains(ids, second[0].New) {
		t.Fatalf("snapshots now %v, want %s and %s", ids, a.ID.Str(), second[0].New.Str())
	}
	got := mustLoad(t, r, second[0].New)
	if got.Original == nil || *got.Original != b.ID || !slices.Equal(got.Tags, []string{"keep", "more"}) || *got.Tree != root {
		t.Errorf("rewritten snapshot %+v, want original %s, tags keep,more, the same tree", got.Snapshot, b.ID.Str())
	}
}

func mustLoad(t *testing.T, r *repo.Repository, id format.ID) repo.Snapshot {
	t.Helper()
	sn, err := r.LoadSnapshot(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sn
}
