package retention

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ErrEmptyPolicy is returned by Plan and Forget for a policy without any
// option: it would keep everything, which is never what a caller meant.
var ErrEmptyPolicy = errors.New("no retention policy given: set at least one --keep-* option")

// Options configure Plan and Forget. The zero value is unusable only
// because its Policy is empty.
type Options struct {
	Policy Policy
	Filter Filter
	// GroupBy splits the snapshots into groups that Policy is applied to
	// separately; nil means restic's default, DefaultGroupBy. Point it at
	// GroupBy{} to apply the policy to all snapshots together.
	GroupBy *GroupBy
	// Now dates "the future" for keep-within; zero means time.Now().
	Now time.Time
	// DryRun makes Forget decide and report, but remove nothing.
	DryRun bool
}

func (o Options) groupBy() GroupBy {
	if o.GroupBy == nil {
		return DefaultGroupBy
	}
	return *o.GroupBy
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// GroupResult is the decision for one group: Keep and Remove newest first,
// Reasons parallel to Keep.
type GroupResult struct {
	Key     GroupKey
	Keep    []repo.Snapshot
	Remove  []repo.Snapshot
	Reasons []Reason
}

// Plan filters, groups and applies the policy: forget without the I/O.
func Plan(snapshots []repo.Snapshot, o Options) ([]GroupResult, error) {
	if o.Policy.Empty() {
		return nil, ErrEmptyPolicy
	}
	if err := o.Policy.Validate(); err != nil {
		return nil, err
	}
	now := o.now()
	var out []GroupResult
	for _, g := range o.groupBy().Split(o.Filter.Select(snapshots)) {
		keep, remove, reasons := Apply(g.Snapshots, o.Policy, now)
		out = append(out, GroupResult{Key: g.Key, Keep: keep, Remove: remove, Reasons: reasons})
	}
	return out, nil
}

// Result is what Forget decided and did.
type Result struct {
	Groups []GroupResult
	// Removed lists the snapshots removed, or, for a dry run, those that
	// would have been; sorted by ID. Those an object lock keeps are in
	// Retained instead.
	Removed []format.ID
	// Retained is what an object lock kept and extended.
	Retained Retained
}

// Kept lists the IDs of the snapshots every group kept, sorted.
func (r Result) Kept() []format.ID {
	var ids []format.ID
	for _, g := range r.Groups {
		for _, sn := range g.Keep {
			ids = append(ids, sn.ID)
		}
	}
	return sortIDs(ids)
}

// toRemove lists the IDs of the snapshots the groups remove, sorted.
func toRemove(groups []GroupResult) []format.ID {
	var ids []format.ID
	for _, g := range groups {
		for _, sn := range g.Remove {
			ids = append(ids, sn.ID)
		}
	}
	return sortIDs(ids)
}

func sortIDs(ids []format.ID) []format.ID {
	slices.SortFunc(ids, func(a, b format.ID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}
