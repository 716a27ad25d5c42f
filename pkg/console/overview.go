package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

// overviewOperations is how many recent operations the overview shows.
const overviewOperations = 10

// appsTimeout bounds the overview's wait for Docker to list the apps.
const appsTimeout = 5 * time.Second

// The apps are listed again once the last listing is appsFresh old,
// in the background while the page shows it, and while the page waits
// once it is appsMaxAge old (see refreshed).
const (
	appsFresh  = 5 * time.Second
	appsMaxAge = 2 * time.Minute
)

type overviewPage struct {
	Alerts      []string
	LockAlerts  []lockAlert // repositories with stale locks, each with its button
	LocksLooked string      // how long ago the locks were looked at
	LocksMaxAge string
	Daemon      bool // jobs are shown and can be run
	History     bool // there is a history to show
	Tasks       []taskRow
	HasApps     bool // the host's apps are known (a daemon)
	Apps        []appRow
	AppsAge     string          // how old the listing shown is, once it is not fresh
	Skipped     []SkippedVolume // on the host, in no app
	AppsError   string          // why the apps are not shown
	Operations  []operationRow
	// Running are the operations under way, which the page's script
	// follows.
	Running      string // their IDs, space-separated
	Repositories []repositoryRow
}

func (overviewPage) title() string { return "Overview" }

type taskRow struct {
	Job, Kind, Repository, Schedule string
	Next                            string
	Running, Healthy                bool
	Last, LastAge, LastTook         string // the last run's result, how long ago, how long it took
	LastError                       string
	// A running task's operation and how far it got.
	OpURL, Progress, LastLine string
}

type operationRow struct {
	ID, URL, Kind, Job, Repository, Trigger, Status string
	Started, Took, Bytes, Error                     string
}

// pageOverview is the console's front page: alerts first, then the jobs
// with a button to run each now, the apps, the latest operations and the
// repositories. It reads no repository and waits for no Docker engine
// while the answers it keeps are young (see refreshed): it is the page
// left open on a wall.
func (s *Server) pageOverview(w http.ResponseWriter, r *http.Request) {
	p := overviewPage{Daemon: s.jobs != nil, History: s.history != nil, LocksMaxAge: took(locksMaxAge.Seconds())}
	var ops []oplog.Operation
	if s.history != nil {
		ops = s.history.List(0)
		for _, op := range ops[:min(len(ops), overviewOperations)] {
			p.Operations = append(p.Operations, newOperationRow(op))
		}
		for _, op := range ops {
			if op.Status == oplog.Running {
				p.Running = strings.TrimSpace(p.Running + " " + op.ID)
			}
		}
	}
	if s.jobs != nil {
		for _, t := range s.jobs.Tasks() {
			p.Tasks = append(p.Tasks, newTaskRow(t, runningOperation(ops, t)))
			if alert := taskAlert(t); alert != "" {
				p.Alerts = append(p.Alerts, alert)
			}
		}
	}
	if s.appsCache != nil {
		s.overviewApps(r, &p)
	}
	var failed []string
	var looked time.Time
	p.LockAlerts, failed, looked = s.lockAlerts(r.Context())
	p.LocksLooked = ago(time.Since(looked))
	p.Alerts = append(p.Alerts, failed...)
	for _, f := range s.repositoryFacts(ops) {
		p.Repositories = append(p.Repositories, f.row())
	}
	s.render(w, r, http.StatusOK, "overview", p)
}

// runningOperation is the operation of t under way in ops, if any.
func runningOperation(ops []oplog.Operation, t Task) *oplog.Operation {
	if !t.Running {
		return nil
	}
	for i := range ops {
		if op := &ops[i]; op.Status == oplog.Running && op.Job == t.Job && op.Kind == t.Kind {
			return op
		}
	}
	return nil
}

// overviewApps adds the host's apps, and their alerts, to p. Docker that
// cannot be reached costs the section, not the page.
func (s *Server) overviewApps(r *http.Request, p *overviewPage) {
	p.HasApps = true
	a := s.appsCache.get(r.Context())
	if d := time.Since(a.At); d >= appsFresh {
		p.AppsAge = ago(d)
	}
	if a.Err != nil {
		p.AppsError = a.Err.Error()
		p.Alerts = append(p.Alerts, "The apps on this host cannot be listed: "+a.Err.Error())
		return
	}
	for _, app := range a.Val.Apps {
		p.Apps = append(p.Apps, newAppRow(app))
		p.Alerts = append(p.Alerts, appAlerts(app)...)
	}
	p.Skipped = a.Val.Skipped
}

// ago is a short age to the second: "4 s ago", "2 min ago".
func ago(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	}
	return age(d)
}

// taskAlert says what is wrong with a task, if anything: its last run
// failed, or it has not succeeded for longer than its schedule allows.
func taskAlert(t Task) string {
	switch {
	case t.LastResult == oplog.Failure:
		return "Job " + t.Job + " (" + t.Kind + ") failed: " + t.LastError
	case !t.Healthy && t.LastSuccess != nil:
		return "Job " + t.Job + " (" + t.Kind + ") has not succeeded since " + t.LastSuccess.Local().Format("2006-01-02 15:04")
	case !t.Healthy:
		return "Job " + t.Job + " (" + t.Kind + ") has not succeeded yet"
	}
	return ""
}

func newTaskRow(t Task, op *oplog.Operation) taskRow {
	row := taskRow{Job: t.Job, Kind: t.Kind, Repository: t.Repository, Schedule: t.Schedule,
		Running: t.Running, Healthy: t.Healthy, Last: t.LastResult, LastError: t.LastError}
	if op != nil {
		row.OpURL = operationURL(op.ID)
		row.Progress = "for " + took(time.Since(op.Started).Seconds())
		if op.Bytes > 0 {
			row.Progress += ", " + humanize.Bytes(op.Bytes, 1) + " so far"
		}
		if n := len(op.Log); n > 0 {
			row.LastLine = op.Log[n-1].Text
		}
	}
	if t.NextRun != nil {
		row.Next = t.NextRun.Local().Format("2006-01-02 15:04")
	}
	if t.LastStart != nil {
		row.LastAge = age(time.Since(*t.LastStart))
		row.LastTook = took(t.LastSeconds)
	}
	return row
}

func newOperationRow(op oplog.Operation) operationRow {
	row := operationRow{ID: op.ID, URL: operationURL(op.ID), Kind: op.Kind, Job: op.Job, Repository: op.Repository,
		Trigger: op.Trigger, Status: op.Status, Started: op.Started.Local().Format("2006-01-02 15:04:05"), Error: op.Error}
	if op.Finished != nil {
		row.Took = took(op.Seconds)
	}
	if op.Bytes > 0 {
		row.Bytes = humanize.Bytes(op.Bytes, 1)
	}
	return row
}

// took is a duration as people read it: 0.4 s, 12 s, 3 min 5 s.
func took(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

type historyPage struct{ Operations []operationRow }

func (historyPage) title() string { return "History" }

// pageHistory lists the operations, newest first.
func (s *Server) pageHistory(w http.ResponseWriter, r *http.Request) {
	var p historyPage
	if s.history != nil {
		for _, op := range s.history.List(historyLimit) {
			p.Operations = append(p.Operations, newOperationRow(op))
		}
	}
	s.render(w, r, http.StatusOK, "history", p)
}

type operationPage struct {
	operationRow
	Finished string
	Log      []logRow
}

type logRow struct{ Time, Level, Text string }

func (p operationPage) title() string { return p.Kind + " " + p.ID }

// pageOperation shows one operation with its log; while it runs, the
// page's script follows it live.
func (s *Server) pageOperation(w http.ResponseWriter, r *http.Request) {
	op, err := s.operation(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := operationPage{operationRow: newOperationRow(op)}
	if op.Finished != nil {
		p.Finished = op.Finished.Local().Format("2006-01-02 15:04:05")
	}
	for _, l := range op.Log {
		p.Log = append(p.Log, logRow{Time: l.Time.Local().Format("15:04:05"), Level: l.Level, Text: l.Text})
	}
	s.render(w, r, http.StatusOK, "operation", p)
}
