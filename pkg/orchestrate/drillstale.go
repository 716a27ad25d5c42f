package orchestrate

import (
	"time"

	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// drillDue says by when the app that jobs back up was due for its next
// restore drill, and whether that time has passed (the drill is stale),
// by the verify tasks with boot: true of those jobs, as health judges a
// task: its last drill at most twice the verify schedule's interval ago
// (dueAfter). Before any drill the app is due as soon as such a verify
// run ended without drilling it (no snapshot, a failed check). With
// several such jobs the most lenient decides, as consoleDue does; one
// that has neither drilled the app nor run yet leaves it not due. No
// such job: nil, false.
func drillDue(cfg *config.Config, st Status, jobs []string, last *console.Drill, now time.Time) (*time.Time, bool) {
	var due time.Time
	covered := false
	for _, name := range jobs {
		j := cfg.Jobs[name]
		if j == nil || j.Verify == nil || !j.Verify.Boot {
			continue
		}
		covered = true
		var deadline time.Time
		switch ran := verifyEnd(st, name); {
		case last != nil:
			t, err := dueAfter(j.Verify.Schedule, last.Time, 0)
			if err != nil {
				continue
			}
			deadline = t
		case ran != nil:
			deadline = *ran
		default:
			return nil, false
		}
		if deadline.After(due) {
			due = deadline
		}
	}
	if !covered || due.IsZero() {
		return nil, false
	}
	return &due, now.After(due)
}

// verifyEnd is when job's verify task last ran to its end (one the
// daemon's shutdown cut short does not count), or nil.
func verifyEnd(st Status, job string) *time.Time {
	for _, js := range st.Jobs {
		if js.Job == job && js.Kind == KindVerify && js.LastRun != nil && js.LastRun.Result != ResultInterrupted {
			end := js.LastRun.End
			return &end
		}
	}
	return nil
}
