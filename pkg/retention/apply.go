package retention

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// Reason says why Apply kept a snapshot: the options that matched, in
// restic's words and order, and the slots each count option had left
// after it.
type Reason struct {
	Snapshot repo.Snapshot
	Matches  []string
	Counters Counters
}

// Counters are the slots left in each count option; the JSON form is
// restic's.
type Counters struct {
	Last    int `json:"last,omitempty"`
	Hourly  int `json:"hourly,omitempty"`
	Daily   int `json:"daily,omitempty"`
	Weekly  int `json:"weekly,omitempty"`
	Monthly int `json:"monthly,omitempty"`
	Yearly  int `json:"yearly,omitempty"`
}

// A period maps a snapshot to the number of the hour, day, week, month or
// year it falls in; nr is its position, newest first, which keep-last uses
// as its own period so that every snapshot is a new one.
type period func(t time.Time, nr int) int

func eachSnapshot(_ time.Time, nr int) int { return nr }
func hourOf(t time.Time, _ int) int        { return dayOf(t, 0)*100 + t.Hour() }
func dayOf(t time.Time, _ int) int         { return monthOf(t, 0)*100 + t.Day() }
func monthOf(t time.Time, _ int) int       { return t.Year()*100 + int(t.Month()) }
func yearOf(t time.Time, _ int) int        { return t.Year() }

// weekOf uses ISO weeks, numbered within their ISO year: 2024-12-30 is in
// week 1 of 2025.
func weekOf(t time.Time, _ int) int {
	y, w := t.ISOWeek()
	return y*100 + w
}

// noPeriod starts every bucket, so that the first snapshot always opens a
// new period (restic's initial value, and like restic's a year -1 snapshot
// would collide with it).
const noPeriod = -1

// countBucket is one count option being evaluated.
type countBucket struct {
	left   int
	period period
	last   int
	reason string
}

// withinBucket is one keep-within-<period> option being evaluated.
type withinBucket struct {
	within Duration
	period period
	last   int
	reason string
}

// Apply splits one group of snapshots into those p keeps and those it
// removes, both newest first, with a Reason per kept snapshot (in keep's
// order). now decides which snapshots are in the future and so cannot be
// the newest for the keep-within options. An empty policy keeps everything.
// p should have passed Validate; otherwise Apply does what restic 0.14 does
// with negative values. snapshots is not modified.
func Apply(snapshots []repo.Snapshot, p Policy, now time.Time) (keep, remove []repo.Snapshot, reasons []Reason) {
	list := NewestFirst(snapshots)
	if p.Empty() {
		for _, sn := range list {
			reasons = append(reasons, Reason{Snapshot: sn, Matches: []string{"policy is empty"}})
		}
		return list, nil, reasons
	}
	if len(list) == 0 {
		return nil, nil, nil
	}
	counts := p.counts()
	buckets := [6]countBucket{
		{counts[0], eachSnapshot, noPeriod, "last snapshot"},
		{counts[1], hourOf, noPeriod, "hourly snapshot"},
		{counts[2], dayOf, noPeriod, "daily snapshot"},
		{counts[3], weekOf, noPeriod, "weekly snapshot"},
		{counts[4], monthOf, noPeriod, "monthly snapshot"},
		{counts[5], yearOf, noPeriod, "yearly snapshot"},
	}
	withins := p.withins()
	withinBuckets := [5]withinBucket{
		{withins[0], hourOf, noPeriod, "hourly within"},
		{withins[1], dayOf, noPeriod, "daily within"},
		{withins[2], weekOf, noPeriod, "weekly within"},
		{withins[3], monthOf, noPeriod, "monthly within"},
		{withins[4], yearOf, noPeriod, "yearly within"},
	}
	newest := newestBefore(list, now)
	for nr, sn := range list {
		matches := tagAndWithinMatches(sn, p, newest)
		matches = append(matches, takeCountSlots(&buckets, sn.Time, nr)...)
		matches = append(matches, takeWithinPeriods(&withinBuckets, sn.Time, nr, newest)...)
		if len(matches) == 0 {
			remove = append(remove, sn)
			continue
		}
		keep = append(keep, sn)
		reasons = append(reasons, Reason{Snapshot: sn, Matches: matches, Counters: Counters{
			Last: buckets[0].left, Hourly: buckets[1].left, Daily: buckets[2].left,
			Weekly: buckets[3].left, Monthly: buckets[4].left, Yearly: buckets[5].left,
		}})
	}
	return keep, remove, reasons
}

// tagAndWithinMatches checks the options that keep a snapshot without
// counting: --keep-tag and --keep-within.
func tagAndWithinMatches(sn repo.Snapshot, p Policy, newest time.Time) []string {
	var matches []string
	for _, l := range p.Tags {
		if l.Matches(sn.Tags) {
			matches = append(matches, "has tags "+l.String())
		}
	}
	if !p.Within.Zero() && sn.Time.After(p.Within.Before(newest)) {
		matches = append(matches, "within "+p.Within.String())
	}
	return matches
}

// takeCountSlots gives sn a slot in every count option that has one left
// and has not kept a snapshot of sn's period yet.
func takeCountSlots(buckets *[6]countBucket, t time.Time, nr int) []string {
	var matches []string
	for i := range buckets {
		b := &buckets[i]
		if b.left <= 0 {
			continue
		}
		if v := b.period(t, nr); v != b.last {
			b.last = v
			b.left--
			matches = append(matches, b.reason)
		}
	}
	return matches
}

// takeWithinPeriods keeps sn for every keep-within-<period> option whose
// time limit it is inside and whose period it opens.
func takeWithinPeriods(buckets *[5]withinBucket, t time.Time, nr int, newest time.Time) []string {
	var matches []string
	for i := range buckets {
		b := &buckets[i]
		if b.within.Zero() || !t.After(b.within.Before(newest)) {
			continue
		}
		if v := b.period(t, nr); v != b.last {
			b.last = v
			matches = append(matches, fmt.Sprintf("%s %v", b.reason, b.within))
		}
	}
	return matches
}

// newestBefore returns the time of the newest snapshot dated before now;
// the zero time if there is none, which puts every snapshot within reach.
func newestBefore(list []repo.Snapshot, now time.Time) time.Time {
	var newest time.Time
	for _, sn := range list {
		if sn.Time.After(newest) && sn.Time.Before(now) {
			newest = sn.Time
		}
	}
	return newest
}

// NewestFirst returns a copy of snapshots sorted newest first, the order
// Apply walks and reports them in. Equal times are ordered by ID.
func NewestFirst(snapshots []repo.Snapshot) []repo.Snapshot {
	list := slices.Clone(snapshots)
	slices.SortStableFunc(list, func(a, b repo.Snapshot) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return list
}
