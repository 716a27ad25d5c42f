package console

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// pathJobs are jobs as the daemon runs them, for the console's tests: each
// a real backup of paths into the fixture's repository, recorded in a real
// history. The daemon's own implementation is tested with the daemon
// (pkg/orchestrate).
type pathJobs struct {
	r       *repo.Repository
	history *oplog.Log
	paths   map[string][]string // by job
	// gate, if set for a job, holds its run until a value is received.
	gate map[string]chan struct{}

	mu    sync.Mutex
	tasks map[string]*Task
}

func newPathJobs(r *repo.Repository, h *oplog.Log, paths map[string][]string) *pathJobs {
	j := &pathJobs{r: r, history: h, paths: paths, gate: map[string]chan struct{}{}, tasks: map[string]*Task{}}
	for name := range paths {
		j.tasks[name] = &Task{Job: name, Kind: "backup", Repository: "default", Schedule: "@daily", Healthy: true}
	}
	return j
}

func (j *pathJobs) Tasks() []Task {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Task
	for _, name := range []string{"broken", "docs", "slow"} {
		if t, ok := j.tasks[name]; ok {
			out = append(out, *t)
		}
	}
	return out
}

func (j *pathJobs) Run(ctx context.Context, job, kind string) (oplog.Operation, error) {
	j.mu.Lock()
	t, ok := j.tasks[job]
	switch {
	case !ok || kind != "backup":
		j.mu.Unlock()
		return oplog.Operation{}, fmt.Errorf("%w: %s (%s)", ErrNoTask, job, kind)
	case t.Running:
		j.mu.Unlock()
		return oplog.Operation{}, ErrRunning
	}
	t.Running = true
	j.mu.Unlock()
	op, err := j.history.Start(oplog.Operation{Kind: kind, Job: job, Repository: "default", Trigger: oplog.Manual})
	if err != nil {
		return op, err
	}
	go j.run(ctx, t, op)
	return op, nil
}

func (j *pathJobs) run(ctx context.Context, t *Task, op oplog.Operation) {
	if g := j.gate[t.Job]; g != nil {
		<-g
	}
	res, err := backup.RunPaths(ctx, j.r, j.paths[t.Job], backup.PathOptions{Host: "console-test", Force: true})
	_ = j.history.Finish(op.ID, err, func(o *oplog.Operation) {
		if err == nil {
			o.Bytes = res.Snapshot.Summary.TotalBytesProcessed
			oplog.AddLine(o, "info", "snapshot "+res.ID.Str()+" saved")
		}
	})
	now := time.Now()
	j.mu.Lock()
	defer j.mu.Unlock()
	t.Running, t.LastStart, t.LastResult, t.LastError = false, &op.Started, oplog.Success, ""
	t.LastSeconds = now.Sub(op.Started).Seconds()
	if err != nil {
		t.LastResult, t.LastError, t.Healthy = oplog.Failure, err.Error(), false
		return
	}
	t.LastSuccess, t.Healthy = &now, true
}
