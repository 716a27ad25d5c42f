package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
)

// Jobs is the daemon's side of the console: its jobs, and running one
// now. Under drydock ui there is none.
type Jobs interface {
	// Tasks returns every scheduled task of every job, as the daemon's
	// status shows them.
	Tasks() []Task
	// Run starts task kind of job now, as its schedule would, and
	// returns the operation that follows it. ErrRunning: it runs already.
	Run(ctx context.Context, job, kind string) (oplog.Operation, error)
}

// ErrRunning is Jobs.Run's answer for a task that runs already.
var ErrRunning = errors.New("the job runs already")

// ErrNoTask is Jobs.Run's answer for a job or kind that does not exist.
var ErrNoTask = errors.New("no such job")

// Task is one scheduled piece of a job: its backup or its verification.
type Task struct {
	Job        string     `json:"job"`
	Kind       string     `json:"kind"`
	Repository string     `json:"repository"`
	Schedule   string     `json:"schedule"`
	NextRun    *time.Time `json:"next_run,omitempty"`
	Running    bool       `json:"running"`
	// Healthy is false when the last success is older than the schedule
	// allows: the overview lists it as an alert.
	Healthy bool `json:"healthy"`
	// The last run, if any.
	LastResult  string     `json:"last_result,omitempty"`
	LastStart   *time.Time `json:"last_start,omitempty"`
	LastSeconds float64    `json:"last_duration_seconds,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
}

// runRequest is what POST .../run takes: the task's kind, "backup" by
// default.
func runKind(r *http.Request) string {
	if k := r.FormValue("kind"); k != "" {
		return k
	}
	return "backup"
}

// apiJobs answers GET /api/v1/jobs.
func (s *Server) apiJobs(w http.ResponseWriter, r *http.Request) {
	tasks := []Task{}
	if s.jobs != nil {
		tasks = append(tasks, s.jobs.Tasks()...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": tasks})
}

// runJob starts a job now for the API (202 and the operation) or a form
// (to the operation's page).
func (s *Server) runJob(w http.ResponseWriter, r *http.Request) {
	if s.jobs == nil {
		s.fail(w, r, notFound("no jobs here: this console serves a repository, not a daemon"))
		return
	}
	op, err := s.jobs.Run(context.WithoutCancel(r.Context()), r.PathValue("job"), runKind(r))
	switch {
	case errors.Is(err, ErrRunning):
		err = &httpError{status: http.StatusConflict, msg: err.Error()}
	case errors.Is(err, ErrNoTask):
		err = notFound("%v", err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("job started from the console", "job", op.Job, "kind", op.Kind, "operation", op.ID)
	answerStarted(w, r, op)
}

// answerStarted answers a request that started op: the API gets 202 and
// the operation (Location names it), a form is sent to the operation's
// page, or to the overview where there is no history to follow it in.
func answerStarted(w http.ResponseWriter, r *http.Request, op oplog.Operation) {
	switch {
	case isAPI(r):
		if op.ID != "" {
			w.Header().Set("Location", "/api/v1/operations/"+url.PathEscape(op.ID))
		}
		writeJSON(w, http.StatusAccepted, op)
	case op.ID == "": // no history to follow it in
		http.Redirect(w, r, "/", http.StatusSeeOther)
	default:
		http.Redirect(w, r, operationURL(op.ID), http.StatusSeeOther)
	}
}

func operationURL(id string) string { return "/operations/" + url.PathEscape(id) }
