package orchestrate

import (
	"time"
)

// Kinds of scheduled work.
const (
	KindBackup = "backup"
	KindVerify = "verify"
	// KindCopy copies a job's snapshots to one of its destinations.
	KindCopy = "copy"
)

// Status is what /status serves and `drydock status` prints.
type Status struct {
	Started    time.Time   `json:"started"`
	ConfigFile string      `json:"config_file"`
	Jobs       []JobStatus `json:"jobs"`
}

// JobStatus is one scheduled task of a job: its backup, its verification
// or its copy to one destination.
type JobStatus struct {
	Job  string `json:"job"`
	Kind string `json:"kind"`
	// Repository is the job's; a copy's destination is Destination.
	Repository  string `json:"repository"`
	Destination string `json:"destination,omitempty"`
	// AfterBackup: a copy that runs after each successful backup (its
	// Schedule is then the backup's).
	AfterBackup bool       `json:"after_backup,omitempty"`
	Schedule    string     `json:"schedule"`
	NextRun     *time.Time `json:"next_run,omitempty"`
	Running     bool       `json:"running"`
	Runs        int        `json:"runs"`
	Failures    int        `json:"failures"`
	LastRun     *RunResult `json:"last_run,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// Behind (copies): the job's latest snapshot is not known to be in
	// the destination: the last copy failed or, before the first run,
	// it was not there at start.
	Behind bool `json:"behind,omitempty"`
	// Healthy is false when the last success is older than twice the
	// schedule's interval, or a copy is behind.
	Healthy bool `json:"healthy"`
}

// Results of a run, as labelled in metrics and status.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	// ResultInterrupted is a verification cut short by the daemon's own
	// shutdown: it found nothing wrong, and runs again at its next time.
	ResultInterrupted = "interrupted"
)

// RunResult is the outcome of one run.
type RunResult struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"duration_seconds"`
	// Result is ResultSuccess, ResultFailure or ResultInterrupted.
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
	// Interrupted says why an interrupted run stopped (Error is empty).
	Interrupted string   `json:"interrupted,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	// Backup runs.
	Snapshots []string `json:"snapshots,omitempty"`
	// Unchanged names the snapshot a skip_if_unchanged run found nothing
	// changed since; it wrote none.
	Unchanged  string      `json:"unchanged_since,omitempty"`
	Files      uint64      `json:"files"`
	BytesRead  uint64      `json:"bytes_read"`
	BytesAdded uint64      `json:"bytes_added"`
	Apps       []AppResult `json:"apps,omitempty"`
	Forgotten  int         `json:"snapshots_forgotten"`
	Pruned     bool        `json:"pruned"`
	// The repository after the run, as /metrics has it.
	RepositoryBytes     *int64 `json:"repository_bytes,omitempty"`
	RepositorySnapshots *int   `json:"repository_snapshots,omitempty"`
	// Verify runs.
	Checked  bool          `json:"checked,omitempty"`
	Restored int           `json:"snapshots_restored,omitempty"`
	Drills   []DrillResult `json:"drills,omitempty"`
	// Copy runs: snapshots copied, those the destination had already,
	// the new data they added there (before compression), and whether
	// the destination is behind when the run ends. Forgotten and Pruned
	// are the destination's retention.
	Copied      int    `json:"snapshots_copied,omitempty"`
	CopySkipped int    `json:"snapshots_skipped,omitempty"`
	BytesCopied uint64 `json:"bytes_copied,omitempty"`
	Behind      bool   `json:"behind,omitempty"`
}

// AppResult is one app of a volumes backup.
type AppResult struct {
	App             string  `json:"app"`
	Snapshot        string  `json:"snapshot,omitempty"`
	DowntimeSeconds float64 `json:"downtime_seconds"`
	// FrozenSeconds is how long containers with drydock.stop=pause were
	// frozen (docker pause) for the final pass.
	FrozenSeconds float64 `json:"frozen_seconds"`
	// Killed names the containers Docker killed at their stop timeout.
	Killed []string `json:"killed,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// OK tells whether the run succeeded.
func (r *RunResult) OK() bool { return r.Error == "" && r.Interrupted == "" }
