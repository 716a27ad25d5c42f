package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

// historyFile, in the state directory, keeps the newest historySize runs.
const (
	historyFile = "history.jsonl"
	historySize = 1000
)

// openHistory opens the history of runs. A history that cannot be kept
// (an unreadable file) costs the console its history, never a backup.
func (d *Daemon) openHistory(stateDir string) {
	h, err := oplog.Open(filepath.Join(stateDir, historyFile), historySize)
	if err != nil {
		d.log.Error("the history of runs cannot be kept; jobs run all the same", "err", err)
		return
	}
	d.history = h
}

// startOperation records the start of a run in the history.
func (d *Daemon) startOperation(key taskKey, t *task, trigger string) oplog.Operation {
	if d.history == nil {
		return oplog.Operation{}
	}
	repository := t.status.Repository
	if key.dest != "" {
		repository = key.dest // a copy's figures are the destination's
	}
	op, err := d.history.Start(oplog.Operation{Kind: key.kind, Job: key.job, Repository: repository, Trigger: trigger})
	if err != nil {
		d.log.Warn("cannot record the run in the history", "job", key.job, "err", err)
	}
	if key.dest != "" {
		d.history.Update(op.ID, func(o *oplog.Operation) {
			oplog.AddLine(o, "info", fmt.Sprintf("copying job %s's new snapshots from %s to %s", key.job, t.status.Repository, key.dest))
		})
	}
	return op
}

// finishOperation records how a run ended, with what it did as log lines.
func (d *Daemon) finishOperation(op oplog.Operation, res *RunResult) {
	if d.history == nil || op.ID == "" {
		return
	}
	var err error
	switch {
	case res.Error != "":
		err = errors.New(res.Error)
	case res.Interrupted != "":
		err = errors.New(res.Interrupted)
	}
	ferr := d.history.Finish(op.ID, err, func(o *oplog.Operation) {
		o.Bytes = res.BytesRead
		if res.RepositoryBytes != nil && res.RepositorySnapshots != nil {
			o.After = &oplog.RepositoryFigures{Bytes: *res.RepositoryBytes, Snapshots: *res.RepositorySnapshots}
		}
		for _, a := range res.Apps {
			if a.Snapshot != "" {
				if o.Downtime == nil {
					o.Downtime = map[string]float64{}
				}
				o.Downtime[a.App] = a.DowntimeSeconds + a.FrozenSeconds
			}
		}
		for _, line := range runLines(res) {
			oplog.AddLine(o, line.level, line.text)
		}
	})
	if ferr != nil {
		d.log.Warn("cannot record the end of the run in the history", "job", op.Job, "err", ferr)
	}
}

type runLine struct{ level, text string }

// runLines says what a run did, as the history's log shows it.
func runLines(res *RunResult) []runLine {
	var out []runLine
	for _, a := range res.Apps {
		switch {
		case a.Error != "":
			out = append(out, runLine{"error", fmt.Sprintf("app %s: %s", a.App, a.Error)})
		case a.Snapshot != "":
			out = append(out, runLine{"info", fmt.Sprintf("app %s: snapshot %.8s saved, %.1f s down", a.App, a.Snapshot, a.DowntimeSeconds)})
		}
	}
	if len(res.Apps) == 0 {
		for _, id := range res.Snapshots {
			out = append(out, runLine{"info", fmt.Sprintf("snapshot %.8s saved", id)})
		}
	}
	if res.Unchanged != "" {
		out = append(out, runLine{"info", fmt.Sprintf("nothing changed since snapshot %.8s: none written", res.Unchanged)})
	}
	if res.Files > 0 || res.BytesAdded > 0 {
		out = append(out, runLine{"info", fmt.Sprintf("%d files read, %d bytes added to the repository", res.Files, res.BytesAdded)})
	}
	if res.Forgotten > 0 || res.Pruned {
		out = append(out, runLine{"info", fmt.Sprintf("retention: %d snapshots forgotten, pruned: %v", res.Forgotten, res.Pruned)})
	}
	if res.Checked {
		out = append(out, runLine{"info", "repository checked"})
	}
	if res.Restored > 0 {
		out = append(out, runLine{"info", fmt.Sprintf("%d snapshots restored and compared", res.Restored)})
	}
	for _, w := range res.Warnings {
		out = append(out, runLine{"warning", w})
	}
	if res.Error != "" {
		out = append(out, runLine{"error", res.Error})
	}
	if res.Interrupted != "" {
		out = append(out, runLine{"warning", res.Interrupted})
	}
	return out
}

// consoleJobs are the daemon's jobs as the console shows and runs them.
type consoleJobs struct{ d *Daemon }

func (j consoleJobs) Tasks() []console.Task {
	st := j.d.Status()
	out := make([]console.Task, 0, len(st.Jobs))
	for _, js := range st.Jobs {
		t := console.Task{Job: js.Job, Kind: js.Kind, Repository: js.Repository, Schedule: js.Schedule, NextRun: js.NextRun,
			Running: js.Running, Healthy: js.Healthy, LastSuccess: js.LastSuccess}
		if r := js.LastRun; r != nil {
			start := r.Start
			t.LastResult, t.LastStart, t.LastSeconds = r.Result, &start, r.Seconds
			t.LastError = r.Error
		}
		out = append(out, t)
	}
	return out
}

func (j consoleJobs) Run(_ context.Context, job, kind string) (oplog.Operation, error) {
	op, err := j.d.RunNow(job, kind)
	switch {
	case errors.Is(err, errRunning):
		return op, fmt.Errorf("%w: %s (%s)", console.ErrRunning, job, kind)
	case errors.Is(err, errNoTask):
		return op, fmt.Errorf("%w: %s (%s)", console.ErrNoTask, job, kind)
	}
	return op, err
}
