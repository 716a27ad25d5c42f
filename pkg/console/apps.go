package console

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
)

// Apps is the daemon's knowledge of the apps on its host: what Docker
// runs, what the volume module decides to back up, and what the jobs did
// with it. Under drydock ui there is none.
type Apps interface {
	// Apps discovers the host's apps now. An error (Docker unreachable)
	// is shown in place of the apps, never fails the page.
	Apps(ctx context.Context) (AppsReport, error)
	// Drill starts a restore drill of app's latest snapshot now and
	// returns the operation that follows it: ErrRunning if one runs,
	// ErrNothingToDrill, ErrNoDocker, or repo.ErrSnapshotNotFound when no
	// snapshot of it exists yet.
	Drill(ctx context.Context, app string) (oplog.Operation, error)
}

// AppsReport is every app on the host, and the volumes in none.
type AppsReport struct {
	Apps []App `json:"apps"`
	// Skipped are volumes (and bind mounts) not backed up that no app's
	// container mounts, with why.
	Skipped  []SkippedVolume `json:"skipped"`
	Warnings []string        `json:"warnings,omitempty"`
}

// App is one app: volumes backed up together, the containers stopped or
// kept for them, and what the daemon's jobs last did with it.
type App struct {
	Name string `json:"name"`
	// Jobs are the daemon's volumes jobs that back the app up; none means
	// no job selects it.
	Jobs       []string       `json:"jobs"`
	Volumes    []AppVolume    `json:"volumes"`
	Containers []AppContainer `json:"containers"`
	// Skipped are volumes its containers mount that are not backed up:
	// tiers cache and rebuildable, opted out, not opted in.
	Skipped            []SkippedVolume `json:"skipped"`
	MaxDowntimeSeconds float64         `json:"max_downtime_seconds,omitempty"`
	LastDowntime       *Downtime       `json:"last_downtime,omitempty"`
	LastDrill          *Drill          `json:"last_drill,omitempty"`
	// DrillDue is by when the next restore drill is due, by the verify
	// job (boot: true) that drills the app; nil when none does.
	DrillDue *time.Time `json:"drill_due,omitempty"`
	// DrillStale: DrillDue has passed; the overview alerts.
	DrillStale bool `json:"drill_stale,omitempty"`
	// Error is why the app cannot be backed up (a dependency cycle).
	Error string `json:"error,omitempty"`
}

// AppVolume is a volume backed up, with why.
type AppVolume struct {
	Name      string   `json:"name"`
	Bind      bool     `json:"bind,omitempty"`
	Tier      string   `json:"tier"`
	Reason    string   `json:"reason"`
	MountedBy []string `json:"mounted_by"`
}

// SkippedVolume is a volume not backed up, with why; Tier is set when
// its tier is the reason.
type SkippedVolume struct {
	Name   string `json:"name"`
	Bind   bool   `json:"bind,omitempty"`
	Tier   string `json:"tier,omitempty"`
	Reason string `json:"reason"`
}

// AppContainer is one of an app's containers and what a backup does to
// it: "stop", "pause" or "scale" (its Swarm service), or "keep" running.
type AppContainer struct {
	Name    string `json:"name"`
	Running bool   `json:"running"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
}

// Downtime is how long the app's last backup stopped (or froze) it.
type Downtime struct {
	Seconds float64   `json:"seconds"`
	Time    time.Time `json:"time"`
	Job     string    `json:"job,omitempty"`
}

// Drill is the app's last restore drill.
type Drill struct {
	Time     time.Time `json:"time"`
	Passed   bool      `json:"passed"`
	Seconds  float64   `json:"duration_seconds"`
	Snapshot string    `json:"snapshot,omitempty"`
	Job      string    `json:"job,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// apiApps answers GET /api/v1/apps: the apps report, or under drydock ui
// an empty one.
func (s *Server) apiApps(w http.ResponseWriter, r *http.Request) {
	if s.apps == nil {
		writeJSON(w, http.StatusOK, AppsReport{Apps: []App{}, Skipped: []SkippedVolume{}})
		return
	}
	rep, err := s.apps.Apps(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// appRow is an app as the overview shows it.
type appRow struct {
	App
	Downtime, DowntimeAge string
	DrillAge, DrillTook   string
	DrillDueAt            string // when the next drill is due, if a job drills the app
	MaxDowntime           string
	Backed                bool // a job backs it up
	SkippedTiers          string
}

func newAppRow(a App) appRow {
	row := appRow{App: a, Backed: len(a.Jobs) > 0}
	if d := a.LastDowntime; d != nil {
		row.Downtime, row.DowntimeAge = took(d.Seconds), age(time.Since(d.Time))
	}
	if d := a.LastDrill; d != nil {
		row.DrillAge, row.DrillTook = age(time.Since(d.Time)), took(d.Seconds)
	}
	if a.DrillDue != nil {
		row.DrillDueAt = a.DrillDue.Local().Format("2006-01-02 15:04")
	}
	if a.MaxDowntimeSeconds > 0 {
		row.MaxDowntime = took(a.MaxDowntimeSeconds)
	}
	var tiers []string
	for _, v := range a.Skipped {
		if v.Tier != "" && !slices.Contains(tiers, v.Tier) {
			tiers = append(tiers, v.Tier)
		}
	}
	row.SkippedTiers = strings.Join(tiers, ", ")
	return row
}

// appAlerts say what is wrong with an app: it cannot be backed up, no job
// backs it up, its last drill failed, or a drill is overdue.
func appAlerts(a App) []string {
	var out []string
	if a.Error != "" {
		out = append(out, "App "+a.Name+" cannot be backed up: "+a.Error)
	}
	if len(a.Jobs) == 0 && a.Error == "" {
		out = append(out, "App "+a.Name+" is labelled for backup, but no volumes job selects it")
	}
	if d := a.LastDrill; d != nil && !d.Passed {
		out = append(out, "App "+a.Name+": the restore drill of "+d.Time.Local().Format("2006-01-02 15:04")+" failed: "+d.Error)
	}
	if a.DrillStale && a.DrillDue != nil {
		since := "no restore drill has run yet"
		if d := a.LastDrill; d != nil {
			since = "the last restore drill ran " + d.Time.Local().Format("2006-01-02 15:04")
		}
		out = append(out, "App "+a.Name+": a restore drill was due by "+a.DrillDue.Local().Format("2006-01-02 15:04")+"; "+since)
	}
	return out
}
