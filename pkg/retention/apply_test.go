package retention_test

import (
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin for the DST cases, whatever the machine has

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// now is after every test snapshot unless a case says otherwise.
var testNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func dur(s string) retention.Duration {
	d, err := retention.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestApplyOptions: each option alone, at the boundaries of its periods.
// Snapshot numbers grow with time; results are newest first.
func TestApplyOptions(t *testing.T) {
	for _, tc := range []struct {
		name         string
		policy       retention.Policy
		times        []string // snapshot i is at times[i]
		keep, remove string
	}{
		{"last", retention.Policy{Last: 2},
			[]string{"2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", "2024-01-01T00:00:02Z"}, "2,1", "0"},
		{"last more than there are", retention.Policy{Last: 9},
			[]string{"2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"}, "1,0", ""},
		{"hourly: newest of each hour", retention.Policy{Hourly: 2},
			[]string{"2024-05-01T10:00:00Z", "2024-05-01T10:59:59Z", "2024-05-01T11:00:00Z", "2024-05-01T11:30:00Z", "2024-05-01T12:15:00Z"},
			"4,3", "2,1,0"},
		{"hourly: same hour on another day", retention.Policy{Hourly: 5},
			[]string{"2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z"}, "1,0", ""},
		{"daily: midnight", retention.Policy{Daily: 3},
			[]string{"2024-05-01T00:00:00Z", "2024-05-01T23:59:59Z", "2024-05-02T00:00:00Z", "2024-05-02T00:00:01Z"},
			"3,1", "2,0"},
		{"daily: the recorded offset's day, not UTC's", retention.Policy{Daily: 5},
			[]string{"2023-12-31T23:30:00+09:00", "2024-01-01T05:00:00+09:00", "2024-01-01T06:00:00+09:00"}, "2,0", "1"},
		{"weekly: ISO weeks across years, week 53", retention.Policy{Weekly: 10},
			[]string{"2019-12-29T12:00:00Z", "2019-12-30T12:00:00Z", "2020-12-31T12:00:00Z", "2021-01-03T12:00:00Z", "2021-01-04T00:00:00Z"},
			"4,3,1,0", "2"},
		{"weekly: Sunday to Monday", retention.Policy{Weekly: 2},
			[]string{"2024-05-05T23:59:59Z", "2024-05-06T00:00:00Z", "2024-05-12T23:00:00Z"}, "2,0", "1"},
		{"monthly", retention.Policy{Monthly: 2},
			[]string{"2024-01-31T23:59:59Z", "2024-02-01T00:00:00Z", "2024-02-29T12:00:00Z", "2024-03-01T00:00:00Z"},
			"3,2", "1,0"},
		{"yearly", retention.Policy{Yearly: 3},
			[]string{"2022-06-01T00:00:00Z", "2023-12-31T23:59:59Z", "2024-01-01T00:00:00Z", "2024-07-01T00:00:00Z"},
			"3,1,0", "2"},
		{"yearly: no oldest-snapshot bonus in 0.14", retention.Policy{Yearly: 5},
			[]string{"2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"}, "1", "0"},
		{"within: relative to the newest, cutoff excluded", retention.Policy{Within: dur("5d")},
			[]string{"2020-01-01T12:00:00Z", "2020-01-05T12:00:00Z", "2020-01-05T12:00:01Z", "2020-01-10T12:00:00Z"},
			"3,2", "1,0"},
		{"within: calendar months", retention.Policy{Within: dur("1m")},
			[]string{"2024-02-29T12:00:00Z", "2024-03-02T11:59:59Z", "2024-03-02T12:00:01Z", "2024-03-31T12:00:00Z"},
			"3,2", "1,0"},
		{"within-hourly", retention.Policy{WithinHourly: dur("2h")},
			[]string{"2024-05-01T09:59:00Z", "2024-05-01T10:10:00Z", "2024-05-01T10:20:00Z", "2024-05-01T11:00:00Z", "2024-05-01T11:59:00Z"},
			"4,2", "3,1,0"},
		{"within-daily", retention.Policy{WithinDaily: dur("3d")},
			[]string{"2024-05-07T11:00:00Z", "2024-05-07T13:00:00Z", "2024-05-09T01:00:00Z", "2024-05-09T23:00:00Z", "2024-05-10T08:00:00Z", "2024-05-10T12:00:00Z"},
			"5,3,1", "4,2,0"},
		{"within-weekly", retention.Policy{WithinWeekly: dur("1m")},
			[]string{"2024-04-01T00:00:00Z", "2024-04-15T00:00:00Z", "2024-04-21T00:00:00Z", "2024-04-22T00:00:00Z", "2024-04-30T00:00:00Z"},
			"4,3,2,0", "1"},
		{"within-monthly", retention.Policy{WithinMonthly: dur("1y")},
			[]string{"2023-01-15T00:00:00Z", "2023-02-15T00:00:00Z", "2023-03-01T00:00:00Z", "2023-03-31T00:00:00Z", "2024-01-20T00:00:00Z"},
			"4,3,1", "2,0"},
		{"within-yearly", retention.Policy{WithinYearly: dur("2y")},
			[]string{"2021-06-01T00:00:00Z", "2022-06-02T00:00:00Z", "2022-12-01T00:00:00Z", "2023-06-01T00:00:00Z"},
			"3,2", "1,0"},
		{"tags", retention.Policy{Tags: retention.TagLists{{"keep"}}},
			[]string{"2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"}, "", "1,0"},
		{"negative count keeps nothing, as in restic 0.14", retention.Policy{Last: -1},
			[]string{"2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"}, "", "1,0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sns []repo.Snapshot
			for i, ts := range tc.times {
				sns = append(sns, plain(i, ts))
			}
			keep, remove, reasons := retention.Apply(sns, tc.policy, testNow)
			if numbers(keep) != tc.keep || numbers(remove) != tc.remove {
				t.Errorf("keep %q remove %q, want keep %q remove %q", numbers(keep), numbers(remove), tc.keep, tc.remove)
			}
			if len(reasons) != len(keep) {
				t.Errorf("%d reasons for %d kept snapshots", len(reasons), len(keep))
			}
		})
	}
}

// TestApplyReasons: every matching option is reported in restic's order,
// with the slots left after each kept snapshot.
func TestApplyReasons(t *testing.T) {
	sns := []repo.Snapshot{
		snap(0, "2024-05-08T12:00:00Z", "h", []string{"/p"}, nil),
		snap(1, "2024-05-09T12:00:00Z", "h", []string{"/p"}, []string{"x"}),
		snap(2, "2024-05-10T08:00:00Z", "h", []string{"/p"}, nil),
		snap(3, "2024-05-10T12:00:00Z", "h", []string{"/p"}, []string{"x", "y"}),
	}
	p := retention.Policy{Last: 1, Daily: 2, Within: dur("3h"), WithinDaily: dur("2d"), Tags: retention.TagLists{{"x"}, {"y", "x"}}}
	keep, remove, reasons := retention.Apply(sns, p, testNow)
	if numbers(keep) != "3,1" || numbers(remove) != "2,0" {
		t.Fatalf("keep %s remove %s", numbers(keep), numbers(remove))
	}
	want := []struct {
		matches  []string
		counters retention.Counters
	}{
		{[]string{"has tags [x]", "has tags [y, x]", "within 3h", "last snapshot", "daily snapshot", "daily within 2d"}, retention.Counters{Daily: 1}},
		{[]string{"has tags [x]", "daily snapshot", "daily within 2d"}, retention.Counters{}},
	}
	for i, r := range reasons {
		if r.Snapshot.ID != keep[i].ID || !slices.Equal(r.Matches, want[i].matches) || r.Counters != want[i].counters {
			t.Errorf("reason %d: %s %q %+v, want %s %q %+v", i, numbers([]repo.Snapshot{r.Snapshot}), r.Matches, r.Counters,
				numbers(keep[i:i+1]), want[i].matches, want[i].counters)
		}
	}
}

// TestApplyFuture: snapshots dated after now cannot be the newest for
// keep-within, so a host with a wrong clock cannot expire the others.
func TestApplyFuture(t *testing.T) {
	now := at("2024-06-01T00:00:00Z")
	sns := []repo.Snapshot{plain(0, "2024-05-20T00:00:00Z"), plain(1, "2024-05-30T00:00:00Z"), plain(2, "2030-01-01T00:00:00Z")}
	keep, remove, _ := retention.Apply(sns, retention.Policy{Within: dur("5d")}, now)
	if numbers(keep) != "2,1" || numbers(remove) != "0" {
		t.Errorf("keep %s remove %s, want 2,1 and 0", numbers(keep), numbers(remove))
	}
	// Only future snapshots: nothing is the newest, everything is within.
	keep, _, _ = retention.Apply(sns, retention.Policy{Within: dur("5d")}, at("2000-01-01T00:00:00Z"))
	if numbers(keep) != "2,1,0" {
		t.Errorf("all in the future: keep %s, want 2,1,0", numbers(keep))
	}
}

// TestApplyDST: periods follow the recorded wall clock, so the hour
// repeated when clocks go back is one hourly period; keep-within follows
// the newest snapshot's location, as restic's AddDate does.
func TestApplyDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("repeated hour", func(t *testing.T) {
		sns := []repo.Snapshot{
			plain(0, "2024-10-27T02:30:00+02:00"), plain(1, "2024-10-27T02:10:00+01:00"),
			plain(2, "2024-10-27T02:30:00+01:00"), plain(3, "2024-10-27T03:00:00+01:00"),
		}
		keep, remove, _ := retention.Apply(sns, retention.Policy{Hourly: 5}, testNow)
		if numbers(keep) != "3,2" || numbers(remove) != "1,0" {
			t.Errorf("keep %s remove %s, want 3,2 and 1,0", numbers(keep), numbers(remove))
		}
	})
	t.Run("spring forward", func(t *testing.T) {
		sns := []repo.Snapshot{plain(0, "2024-03-31T01:30:00+01:00"), plain(1, "2024-03-31T03:30:00+02:00")}
		if keep, _, _ := retention.Apply(sns, retention.Policy{Hourly: 5}, testNow); numbers(keep) != "1,0" {
			t.Errorf("keep %s, want 1,0", numbers(keep))
		}
	})
	// 7 days before 12:00+02:00 is 10:00Z with a fixed offset, but 7 Berlin
	// days before 12:00 CEST is 12:00 CET, 11:00Z: the older snapshot
	// (10:30Z) is within the first and not the second. restic 0.14 run
	// with TZ=UTC and TZ=Europe/Berlin makes the same two choices.
	older, newest := at("2024-03-27T11:30:00+01:00"), at("2024-04-03T12:00:00+02:00")
	for _, tc := range []struct {
		name     string
		loc      *time.Location
		wantKeep string
	}{
		{"fixed offset", nil, "1,0"},
		{"local zone", berlin, "1"},
	} {
		t.Run("within/"+tc.name, func(t *testing.T) {
			o, n := older, newest
			if tc.loc != nil {
				o, n = o.In(tc.loc), n.In(tc.loc)
			}
			sns := []repo.Snapshot{snapAt(0, o, "h", []string{"/p"}, nil), snapAt(1, n, "h", []string{"/p"}, nil)}
			if keep, _, _ := retention.Apply(sns, retention.Policy{Within: dur("7d")}, testNow); numbers(keep) != tc.wantKeep {
				t.Errorf("keep %s, want %s", numbers(keep), tc.wantKeep)
			}
		})
	}
}

// TestApplyTies: equal times are ordered by ID, whatever the input order.
func TestApplyTies(t *testing.T) {
	a, b, c := plain(5, "2024-03-01T10:00:00Z"), plain(3, "2024-03-01T10:00:00Z"), plain(4, "2024-03-01T10:00:00Z")
	for _, in := range [][]repo.Snapshot{{a, b, c}, {c, b, a}, {b, a, c}} {
		keep, remove, _ := retention.Apply(in, retention.Policy{Last: 2}, testNow)
		if numbers(keep) != "3,4" || numbers(remove) != "5" {
			t.Errorf("input %s: keep %s remove %s, want 3,4 and 5", numbers(in), numbers(keep), numbers(remove))
		}
	}
}

func TestApplyEmptyPolicy(t *testing.T) {
	sns := []repo.Snapshot{plain(0, "2024-01-01T00:00:00Z"), plain(1, "2024-01-02T00:00:00Z")}
	keep, remove, reasons := retention.Apply(sns, retention.Policy{}, testNow)
	if numbers(keep) != "1,0" || len(remove) != 0 || len(reasons) != 2 || !slices.Equal(reasons[0].Matches, []string{"policy is empty"}) {
		t.Errorf("keep %s remove %s reasons %+v", numbers(keep), numbers(remove), reasons)
	}
	if numbers(sns) != "0,1" {
		t.Errorf("Apply reordered its input: %s", numbers(sns))
	}
	if keep, remove, reasons := retention.Apply(nil, retention.Policy{Last: 1}, testNow); keep != nil || remove != nil || reasons != nil {
		t.Errorf("no snapshots: %v %v %v", keep, remove, reasons)
	}
}

// FuzzApply: for any snapshots and policy, keep and remove split the input,
// every kept snapshot has its reasons, and the input order does not matter.
func FuzzApply(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, uint8(2), uint8(1), uint8(0), uint8(3))
	f.Add([]byte{0, 0, 0, 0, 255, 255, 255, 255, 7, 7, 7, 7}, uint8(0), uint8(0), uint8(5), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, last, daily, weekly, withinDays uint8) {
		var sns []repo.Snapshot
		base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i+4 <= len(data) && i < 400; i += 4 {
			secs := int64(data[i])<<16 | int64(data[i+1])<<8 | int64(data[i+2])
			zone := time.FixedZone("", (int(data[i+3])%27-13)*3600)
			sns = append(sns, snapAt(i/4, base.Add(time.Duration(secs)*37*time.Second).In(zone), "h", []string{"/p"}, nil))
		}
		p := retention.Policy{Last: int(last % 8), Daily: int(daily % 8), Weekly: int(weekly % 8),
			WithinHourly: retention.Duration{Days: int(withinDays % 40)}, Tags: retention.TagLists{{"none"}}}
		keep, remove, reasons := retention.Apply(sns, p, testNow)
		if len(keep)+len(remove) != len(sns) || len(reasons) != len(keep) {
			t.Fatalf("%d kept + %d removed of %d, %d reasons", len(keep), len(remove), len(sns), len(reasons))
		}
		reversed := slices.Clone(sns)
		slices.Reverse(reversed)
		keep2, _, _ := retention.Apply(reversed, p, testNow)
		if numbers(keep) != numbers(keep2) {
			t.Fatalf("input order changed the choice: %s vs %s", numbers(keep), numbers(keep2))
		}
	})
}
