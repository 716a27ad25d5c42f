package orchestrate

import (
	"maps"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// taskSpec is one scheduled task of a configuration.
type taskSpec struct {
	job, kind, dest, repository, schedule string
	jitter                                time.Duration
	// afterBackup: a copy run after each successful backup; schedule and
	// jitter are the backup's, for its health.
	afterBackup bool
}

func taskSpecs(cfg *config.Config) []taskSpec {
	var out []taskSpec
	for _, name := range slices.Sorted(maps.Keys(cfg.Jobs)) {
		j := cfg.Jobs[name]
		jitter := time.Duration(j.Jitter)
		out = append(out, taskSpec{job: name, kind: KindBackup, repository: j.Repository, schedule: j.Schedule, jitter: jitter})
		if j.Verify != nil {
			out = append(out, taskSpec{job: name, kind: KindVerify, repository: j.Repository, schedule: j.Verify.Schedule})
		}
		for _, c := range j.Copy {
			spec := taskSpec{job: name, kind: KindCopy, dest: c.Repository, repository: j.Repository, schedule: c.Schedule}
			if c.Schedule == "" {
				spec.schedule, spec.jitter, spec.afterBackup = j.Schedule, jitter, true
			}
			out = append(out, spec)
		}
	}
	return out
}
