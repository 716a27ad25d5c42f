package orchestrate

import (
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// TestDrillDue: an app is due for a restore drill by the verify tasks
// with boot: true of the jobs that back it up: twice the schedule's
// interval after its last drill (passed or failed), or, before any drill,
// once such a verify ran without drilling it; never without such a task,
// nor before it has run; the most lenient of several decides.
func TestDrillDue(t *testing.T) {
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 12, day, hour, minute, 0, 0, time.UTC) }
	daily := &config.Verify{Schedule: "0 3 * * *", Boot: true}
	jobs := map[string]*config.Job{
		"daily":   {Verify: daily},
		"hourly":  {Verify: &config.Verify{Schedule: "0 * * * *", Boot: true}},
		"noboot":  {Verify: &config.Verify{Schedule: "0 3 * * *", RestoreTest: true}},
		"nocheck": {},
	}
	verified := func(job string, end time.Time, result string) Status {
		return Status{Jobs: []JobStatus{{Job: job, Kind: KindBackup, LastRun: &RunResult{End: end.Add(time.Hour), Result: ResultSuccess}},
			{Job: job, Kind: KindVerify, LastRun: &RunResult{End: end, Result: result}}}}
	}
	drilled := func(when time.Time, passed bool) *console.Drill { return &console.Drill{Time: when, Passed: passed} }
	now := at(3, 10, 0)
	for _, tc := range []struct {
		name      string
		jobs      []string
		st        Status
		last      *console.Drill
		wantDue   time.Time // zero: nil
		wantStale bool
	}{
		{name: "no job", last: drilled(at(1, 4, 0), true)},
		{name: "no verify", jobs: []string{"nocheck"}, last: drilled(at(1, 4, 0), true)},
		{name: "verify without boot", jobs: []string{"noboot"}, st: verified("noboot", at(3, 3, 5), ResultSuccess)},
		{name: "recent drill", jobs: []string{"daily"}, last: drilled(at(2, 4, 0), true), wantDue: at(4, 4, 0)},
		{name: "old drill", jobs: []string{"daily"}, last: drilled(at(1, 4, 0), true), wantDue: at(3, 4, 0), wantStale: true},
		{name: "recent failed drill", jobs: []string{"daily"}, last: drilled(at(2, 4, 0), false), wantDue: at(4, 4, 0)},
		{name: "old drill, verify ran since", jobs: []string{"daily"}, st: verified("daily", at(3, 3, 5), ResultFailure),
			last: drilled(at(1, 4, 0), true), wantDue: at(3, 4, 0), wantStale: true},
		{name: "no drill, verify not run", jobs: []string{"daily"}},
		{name: "no drill, verify ran", jobs: []string{"daily"}, st: verified("daily", at(3, 3, 5), ResultSuccess), wantDue: at(3, 3, 5), wantStale: true},
		{name: "no drill, verify interrupted", jobs: []string{"daily"}, st: verified("daily", at(3, 3, 5), ResultInterrupted)},
		{name: "the most lenient decides", jobs: []string{"daily", "hourly"}, last: drilled(at(3, 4, 0), true), wantDue: at(5, 4, 0)},
		{name: "one not run yet, no drill", jobs: []string{"hourly", "daily"}, st: verified("hourly", at(3, 9, 0), ResultSuccess)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due, stale := drillDue(&config.Config{Jobs: jobs}, tc.st, tc.jobs, tc.last, now)
			switch {
			case tc.wantDue.IsZero() && due != nil:
				t.Errorf("due %v, want none", *due)
			case !tc.wantDue.IsZero() && (due == nil || !due.Equal(tc.wantDue)):
				t.Errorf("due %v, want %v", due, tc.wantDue)
			}
			if stale != tc.wantStale {
				t.Errorf("stale %v, want %v", stale, tc.wantStale)
			}
		})
	}
}
