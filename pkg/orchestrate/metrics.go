package orchestrate

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the daemon's Prometheus series, in a registry of its own
// (no global state: tests run several daemons in one process).
type metrics struct {
	reg          *prometheus.Registry
	lastSuccess  *prometheus.GaugeVec
	lastRun      *prometheus.GaugeVec
	duration     *prometheus.GaugeVec
	runs         *prometheus.CounterVec
	files        *prometheus.GaugeVec
	bytesRead    *prometheus.GaugeVec
	bytesAdded   *prometheus.GaugeVec
	errors       *prometheus.GaugeVec
	downtime     *prometheus.GaugeVec
	drillSuccess *prometheus.GaugeVec
	frozen       *prometheus.GaugeVec
	repoOpens    *prometheus.CounterVec
	killed       *prometheus.GaugeVec
	repoSize     *prometheus.GaugeVec
	repoSnaps    *prometheus.GaugeVec
	healthy      *prometheus.GaugeVec
	notifyFailed prometheus.Counter
	copies       copyMetrics
}

// copyMetrics are the series of copies, by job and destination.
type copyMetrics struct {
	lastSuccess *prometheus.GaugeVec
	snapshots   *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	failures    *prometheus.CounterVec
	behind      *prometheus.GaugeVec
}

func newCopyMetrics() copyMetrics {
	l := []string{"job", "destination"}
	return copyMetrics{
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_copy_last_success_timestamp_seconds",
			Help: "When the job's snapshots were last copied to the destination (and its retention there applied), Unix time."}, l),
		snapshots: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drydock_copy_snapshots_total",
			Help: "Snapshots of the job copied to the destination."}, l),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drydock_copy_bytes_total",
			Help: "Bytes of new data (before compression) that copies of the job's snapshots added to the destination."}, l),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drydock_copy_failures_total",
			Help: "Copies of the job to the destination that failed (the copy, or the retention there)."}, l),
		behind: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_copy_behind",
			Help: "1 while the job's latest snapshot is not known to be in the destination (its last copy failed), else 0."}, l),
	}
}

func (c copyMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.lastSuccess, c.snapshots, c.bytes, c.failures, c.behind}
}

// record publishes a finished copy run of js.
func (c copyMetrics) record(js *JobStatus, res *RunResult) {
	l := prometheus.Labels{"job": js.Job, "destination": js.Destination}
	if res.OK() {
		c.lastSuccess.With(l).Set(float64(res.End.Unix()))
	}
	if res.Result == ResultFailure {
		c.failures.With(l).Inc()
	} else {
		c.failures.With(l).Add(0) // the series exists before the first failure
	}
	c.snapshots.With(l).Add(float64(res.Copied))
	c.bytes.With(l).Add(float64(res.BytesCopied))
	c.seed(js.Job, js.Destination, res.Behind)
}

// seed sets the behind gauge of a copy that has not run yet.
func (c copyMetrics) seed(job, dest string, behind bool) {
	v := 0.0
	if behind {
		v = 1
	}
	c.behind.WithLabelValues(job, dest).Set(v)
}

// forget drops the series matching l.
func (c copyMetrics) forget(l prometheus.Labels) {
	for _, v := range []*prometheus.GaugeVec{c.lastSuccess, c.behind} {
		v.DeletePartialMatch(l)
	}
	for _, v := range []*prometheus.CounterVec{c.snapshots, c.bytes, c.failures} {
		v.DeletePartialMatch(l)
	}
}

func newMetrics() *metrics {
	job := []string{"job", "kind"}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_success_timestamp_seconds",
			Help: "When the job last succeeded (Unix time)."}, job),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_run_timestamp_seconds",
			Help: "When the job's last run ended (Unix time)."}, job),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_duration_seconds",
			Help: "How long the job's last run took."}, job),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drydock_job_runs_total",
			Help: "Runs of the job by result (success, failure, or interrupted: a verification cut short by the daemon's shutdown)."}, []string{"job", "kind", "result"}),
		files: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_files",
			Help: "Files the last backup processed."}, []string{"job"}),
		bytesRead: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_bytes_read",
			Help: "Bytes the last backup processed."}, []string{"job"}),
		bytesAdded: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_bytes_added",
			Help: "Bytes of new data the last backup added to the repository (before compression)."}, []string{"job"}),
		errors: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_last_errors",
			Help: "Errors and unreadable files in the job's last run."}, job),
		downtime: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_app_downtime_seconds",
			Help: "How long the app's containers were stopped in the last backup."}, []string{"job", "app"}),
		frozen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_app_frozen_seconds",
			Help: "How long the app's containers with drydock.stop=pause were frozen in the last backup."}, []string{"job", "app"}),
		drillSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_drill_last_success_timestamp_seconds",
			Help: "When a restore drill of the app (its latest snapshot booted as copies, checks passed) last passed."}, []string{"job", "app"}),
		killed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_app_killed_containers",
			Help: "Containers of the app that did not exit on their stop signal within their stop timeout in the last backup, so Docker killed them (for a database, a crash)."},
			[]string{"job", "app"}),
		repoOpens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drydock_repository_opens_total",
			Help: "Times the daemon opened the repository (derived its key, read its whole index); an open repository is kept for the next run."}, []string{"repository"}),
		repoSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_repository_size_bytes",
			Help: "Bytes stored in the repository (packs, index, snapshots), measured after each job."}, []string{"repository"}),
		repoSnaps: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_repository_snapshots",
			Help: "Snapshots in the repository, counted after each job."}, []string{"repository"}),
		healthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drydock_job_healthy",
			Help: "1 if the job succeeded within twice its schedule's interval, else 0."}, job),
		notifyFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "drydock_notifications_failed_total",
			Help: "Notifications that could not be sent."}),
		copies: newCopyMetrics(),
	}
	m.reg.MustRegister(m.copies.collectors()...)
	m.reg.MustRegister(m.lastSuccess, m.lastRun, m.duration, m.runs, m.files, m.bytesRead, m.bytesAdded,
		m.errors, m.downtime, m.frozen, m.drillSuccess, m.killed, m.repoOpens, m.repoSize, m.repoSnaps, m.healthy, m.notifyFailed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// record publishes a finished run. A copy has series of its own, by
// destination.
func (m *metrics) record(js *JobStatus, res *RunResult) {
	if js.Kind == KindCopy {
		m.copies.record(js, res)
		return
	}
	l := prometheus.Labels{"job": js.Job, "kind": js.Kind}
	m.lastRun.With(l).Set(float64(res.End.Unix()))
	m.duration.With(l).Set(res.Seconds)
	m.runs.With(prometheus.Labels{"job": js.Job, "kind": js.Kind, "result": res.Result}).Inc()
	errs := len(res.Warnings)
	if res.Error != "" {
		errs++
	}
	m.errors.With(l).Set(float64(errs))
	if res.OK() {
		m.lastSuccess.With(l).Set(float64(res.End.Unix()))
	}
	for _, dr := range res.Drills {
		if dr.Passed {
			m.drillSuccess.WithLabelValues(js.Job, dr.App).Set(float64(res.End.Unix()))
		}
	}
	if js.Kind != KindBackup {
		return
	}
	m.files.WithLabelValues(js.Job).Set(float64(res.Files))
	m.bytesRead.WithLabelValues(js.Job).Set(float64(res.BytesRead))
	m.bytesAdded.WithLabelValues(js.Job).Set(float64(res.BytesAdded))
	for _, a := range res.Apps {
		m.downtime.WithLabelValues(js.Job, a.App).Set(a.DowntimeSeconds)
		m.frozen.WithLabelValues(js.Job, a.App).Set(a.FrozenSeconds)
		m.killed.WithLabelValues(js.Job, a.App).Set(float64(len(a.Killed)))
	}
}

// forget drops every series of a job that is no longer configured, so
// that an alert on its last value does not fire forever.
func (m *metrics) forget(job string) {
	l := prometheus.Labels{"job": job}
	for _, v := range []*prometheus.GaugeVec{m.lastSuccess, m.lastRun, m.duration, m.files, m.bytesRead, m.bytesAdded, m.errors, m.downtime, m.frozen, m.drillSuccess, m.killed, m.healthy} {
		v.DeletePartialMatch(l)
	}
	m.runs.DeletePartialMatch(l)
	m.copies.forget(l)
}

// forgetCopy drops the series of a copy destination no longer configured.
func (m *metrics) forgetCopy(job, dest string) {
	m.copies.forget(prometheus.Labels{"job": job, "destination": dest})
}
