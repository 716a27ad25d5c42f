package orchestrate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// Handler serves /metrics (Prometheus), /healthz (200 or 503) and
// /status (JSON, for `drydock status`).
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	prom := promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		d.Status() // refreshes the health gauges
		prom.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", d.serveHealth)
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(d.Status())
	})
	return mux
}

func (d *Daemon) serveHealth(w http.ResponseWriter, _ *http.Request) {
	st := d.Status()
	var bad []string
	for _, js := range st.Jobs {
		if js.Healthy {
			continue
		}
		if js.Behind {
			msg := fmt.Sprintf("copy of job %s to %s: behind, the job's latest snapshot may not be there", js.Job, js.Destination)
			if e := lastError(js); e != "" {
				msg += ": " + e
			}
			bad = append(bad, msg)
			continue
		}
		last := "never"
		if js.LastSuccess != nil {
			last = js.LastSuccess.Format(time.RFC3339)
		}
		bad = append(bad, fmt.Sprintf("job %s (%s): last success %s, more than twice its schedule %q ago", js.Job, taskName(js), last, js.Schedule))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(bad) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "unhealthy\n%s\n", strings.Join(bad, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// Status reports every scheduled task; it also updates the health gauges.
func (d *Daemon) Status() Status {
	now := time.Now()
	d.mu.Lock()
	st := Status{Started: d.started}
	if d.cfg != nil {
		st.ConfigFile = configName(d.cfg)
	}
	for _, t := range d.tasks {
		js := t.status
		if t.gjob != nil {
			if next, err := t.gjob.NextRun(); err == nil && !next.IsZero() {
				js.NextRun = &next
			}
		}
		js.Healthy = !js.Behind && healthy(js, t.jitter, d.started, now)
		st.Jobs = append(st.Jobs, js)
	}
	d.mu.Unlock()
	slices.SortFunc(st.Jobs, func(a, b JobStatus) int {
		return strings.Compare(a.Job+"\x00"+a.Kind+"\x00"+a.Destination, b.Job+"\x00"+b.Kind+"\x00"+b.Destination)
	})
	for _, js := range st.Jobs {
		if js.Kind == KindCopy {
			continue // drydock_copy_behind and its last success say it
		}
		v := 0.0
		if js.Healthy {
			v = 1
		}
		d.metrics.healthy.With(prometheus.Labels{"job": js.Job, "kind": js.Kind}).Set(v)
	}
	return st
}

// taskName is "backup", "verify" or "copy to DEST".
func taskName(js JobStatus) string {
	if js.Kind == KindCopy {
		return "copy to " + js.Destination
	}
	return js.Kind
}

// lastError is the error of js's last run, or "" (a copy found behind at
// start has not run).
func lastError(js JobStatus) string {
	if js.LastRun == nil {
		return ""
	}
	return js.LastRun.Error
}

// healthy: the job succeeded (or, before any success, the daemon
// started) at most twice its schedule's interval ago, and no more than two
// scheduled runs have been missed since, whichever is later: irregular
// schedules (weekdays only, 03:00 and 04:00) have gaps longer than their
// next interval that are not failures.
func healthy(js JobStatus, jitter time.Duration, started, now time.Time) bool {
	ref := started
	if js.LastSuccess != nil {
		ref = *js.LastSuccess
	}
	deadline, err := dueAfter(js.Schedule, ref, jitter)
	return err == nil && !now.After(deadline)
}

// dueAfter is when a job of schedule that last succeeded at ref is
// overdue: twice the interval after ref, or its second run after ref,
// whichever is later, plus its jitter.
func dueAfter(schedule string, ref time.Time, jitter time.Duration) (time.Time, error) {
	sched, err := config.ParseSchedule(schedule)
	if err != nil {
		return time.Time{}, err
	}
	n1 := sched.Next(ref)
	n2 := sched.Next(n1)
	deadline := ref.Add(2 * n2.Sub(n1))
	if n2.After(deadline) {
		deadline = n2
	}
	return deadline.Add(jitter), nil
}
