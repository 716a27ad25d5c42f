package retention

import (
	"errors"
	"fmt"
	"strings"
)

// Policy says which snapshots of a group to keep: restic 0.14's --keep-*
// options. The zero Policy is empty: it keeps everything, and Forget
// refuses it (ErrEmptyPolicy).
type Policy struct {
	Last    int // the n newest snapshots
	Hourly  int // the newest snapshot of each of the n newest hours that have one
	Daily   int // ... days
	Weekly  int // ... ISO weeks
	Monthly int // ... months
	Yearly  int // ... years

	Within        Duration // every snapshot newer than the newest minus this
	WithinHourly  Duration // the newest snapshot of each hour newer than the newest minus this
	WithinDaily   Duration // ... day
	WithinWeekly  Duration // ... ISO week
	WithinMonthly Duration // ... month
	WithinYearly  Duration // ... year

	Tags TagLists // every snapshot that matches one of these lists
}

// ErrInvalidPolicy is wrapped by Validate's errors.
var ErrInvalidPolicy = errors.New("invalid retention policy")

// Empty reports whether p sets no option. Like restic, a --keep-tag list
// makes a policy non-empty even if no snapshot can match it.
func (p Policy) Empty() bool {
	return len(p.Tags) == 0 && p.counts() == [6]int{} && p.Within.Zero() && p.withins() == [5]Duration{}
}

func (p Policy) counts() [6]int {
	return [6]int{p.Last, p.Hourly, p.Daily, p.Weekly, p.Monthly, p.Yearly}
}

func (p Policy) withins() [5]Duration {
	return [5]Duration{p.WithinHourly, p.WithinDaily, p.WithinWeekly, p.WithinMonthly, p.WithinYearly}
}

// countNames and withinNames are the option names, in counts() and
// withins() order, for messages.
var (
	countNames  = [6]string{"keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"}
	withinNames = [5]string{"keep-within-hourly", "keep-within-daily", "keep-within-weekly", "keep-within-monthly", "keep-within-yearly"}
)

// Validate rejects negative counts and durations. restic 0.14 takes them
// and silently keeps nothing for them; a typo must not expire everything.
func (p Policy) Validate() error {
	for i, n := range p.counts() {
		if n < 0 {
			return fmt.Errorf("%w: --%s %d: negative counts are not allowed", ErrInvalidPolicy, countNames[i], n)
		}
	}
	if err := p.Within.validate(); err != nil {
		return fmt.Errorf("%w: --keep-within: %w", ErrInvalidPolicy, err)
	}
	for i, d := range p.withins() {
		if err := d.validate(); err != nil {
			return fmt.Errorf("%w: --%s: %w", ErrInvalidPolicy, withinNames[i], err)
		}
	}
	return nil
}

// String describes p for people, e.g. "keep last 3, daily 7, hourly
// within 2d, all within 1y of the newest, tagged [a, b] or [c]".
func (p Policy) String() string {
	var parts []string
	for i, n := range p.counts() {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", periodNames[i], n))
		}
	}
	for i, d := range p.withins() {
		if !d.Zero() {
			parts = append(parts, fmt.Sprintf("%s within %v", periodNames[i+1], d))
		}
	}
	if !p.Within.Zero() {
		parts = append(parts, fmt.Sprintf("all within %v of the newest", p.Within))
	}
	if len(p.Tags) > 0 {
		lists := make([]string, len(p.Tags))
		for i, l := range p.Tags {
			lists[i] = l.String()
		}
		parts = append(parts, "tagged "+strings.Join(lists, " or "))
	}
	if len(parts) == 0 {
		return "keep everything (empty policy)"
	}
	return "keep " + strings.Join(parts, ", ")
}

// periodNames name the buckets of counts().
var periodNames = [6]string{"last", "hourly", "daily", "weekly", "monthly", "yearly"}
