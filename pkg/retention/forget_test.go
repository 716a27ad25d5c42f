package retention_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// saveSnapshots writes snapshots with the given times, hosts alternating
// between a and b, all sharing one empty tree, and returns their IDs.
func saveSnapshots(t *testing.T, r *repo.Repository, times ...string) []format.ID {
	t.Helper()
	var tree format.ID
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		doc, err := format.EncodeTree(nil)
		if err != nil {
			return err
		}
		tree, _, err = s.SaveBlob(ctx, format.TreeBlob, doc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []format.ID
	for i, ts := range times {
		host := []string{"a", "b"}[i%2]
		id, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: at(ts), Tree: &tree, Paths: []string{"/p"}, Hostname: host})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func remaining(t *testing.T, r *repo.Repository) []format.ID {
	t.Helper()
	sns, err := r.Snapshots(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []format.ID
	for _, sn := range sns {
		ids = append(ids, sn.ID)
	}
	return ids
}

func TestForget(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	ids := saveSnapshots(t, r, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z",
		"2024-01-04T00:00:00Z", "2024-01-05T00:00:00Z")
	// host a: 0, 2, 4; host b: 1, 3. keep-last 1 per host keeps 4 and 3.
	opts := retention.Options{Policy: retention.Policy{Last: 1}, DryRun: true}
	res, err := retention.Forget(t.Context(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantRemoved := []format.ID{ids[0], ids[1], ids[2]}
	slices.SortFunc(wantRemoved, func(a, b format.ID) int { return compareIDs(a, b) })
	if !slices.Equal(res.Removed, wantRemoved) || len(res.Groups) != 2 || len(remaining(t, r)) != 5 {
		t.Fatalf("dry run: removed %v, %d groups, %d left", res.Removed, len(res.Groups), len(remaining(t, r)))
	}
	if kept := res.Kept(); len(kept) != 2 || !slices.Contains(kept, ids[3]) || !slices.Contains(kept, ids[4]) {
		t.Errorf("kept %v", kept)
	}

	opts.DryRun = false
	if res, err = retention.Forget(t.Context(), r, opts); err != nil || !slices.Equal(res.Removed, wantRemoved) {
		t.Fatalf("forget: removed %v, %v", res.Removed, err)
	}
	if left := remaining(t, r); !slices.Equal(left, []format.ID{ids[3], ids[4]}) {
		t.Errorf("left %v, want %v", left, ids[3:])
	}
	report, err := checker.Check(t.Context(), r, checker.Options{})
	if err != nil || !report.OK() {
		t.Fatalf("check after forget: %v %+v", err, report)
	}

	// Grouped together, the same policy keeps only the newest.
	opts.GroupBy = &retention.GroupBy{}
	if res, err = retention.Forget(t.Context(), r, opts); err != nil || !slices.Equal(res.Removed, []format.ID{ids[3]}) {
		t.Fatalf("ungrouped forget: removed %v, %v", res.Removed, err)
	}
}

func TestForgetRefuses(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	saveSnapshots(t, r, "2024-01-01T00:00:00Z")
	for name, tc := range map[string]struct {
		p    retention.Policy
		want error
	}{
		"empty":    {retention.Policy{}, retention.ErrEmptyPolicy},
		"negative": {retention.Policy{Daily: -1}, retention.ErrInvalidPolicy},
	} {
		res, err := retention.Forget(t.Context(), r, retention.Options{Policy: tc.p})
		if !errors.Is(err, tc.want) || res.Removed != nil {
			t.Errorf("%s: %v, removed %v; want %v", name, err, res.Removed, tc.want)
		}
	}
	if n := len(remaining(t, r)); n != 1 {
		t.Errorf("%d snapshots left, want 1", n)
	}
}

// TestRemoveSnapshotsCancelled: a cancelled context removes nothing and
// says so.
func TestRemoveSnapshotsCancelled(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	ids := saveSnapshots(t, r, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	removed, err := retention.RemoveSnapshots(ctx, r, ids)
	if !errors.Is(err, context.Canceled) || len(removed) != 0 {
		t.Errorf("removed %v, %v", removed, err)
	}
	if n := len(remaining(t, r)); n != 2 {
		t.Errorf("%d snapshots left, want 2", n)
	}
}

func compareIDs(a, b format.ID) int {
	switch as, bs := a.String(), b.String(); {
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}
