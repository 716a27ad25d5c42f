package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// TestPrintStatus: the result column tells failed, interrupted, warned
// and unchanged runs apart, and kills and warnings are printed; a copy
// names its destination and says when it is behind.
func TestPrintStatus(t *testing.T) {
	now := time.Now()
	st := &orchestrate.Status{Started: now, Jobs: []orchestrate.JobStatus{
		{Job: "a", Kind: "backup", Healthy: true, LastRun: &orchestrate.RunResult{End: now, Result: orchestrate.ResultFailure, Error: "boom"}},
		{Job: "b", Kind: "verify", Healthy: true, LastRun: &orchestrate.RunResult{End: now, Result: orchestrate.ResultInterrupted, Interrupted: "daemon stopping"}},
		{Job: "c", Kind: "backup", Healthy: true, LastRun: &orchestrate.RunResult{End: now, Result: orchestrate.ResultSuccess,
			Warnings: []string{"db was killed"}, Apps: []orchestrate.AppResult{{App: "db", Killed: []string{"pg"}}}}},
		{Job: "d", Kind: "backup", Healthy: true, LastRun: &orchestrate.RunResult{End: now, Result: orchestrate.ResultSuccess,
			Unchanged: "0123456789abcdef"}},
		{Job: "e", Kind: "copy", Destination: "offsite", AfterBackup: true, Behind: true, LastRun: &orchestrate.RunResult{End: now,
			Result: orchestrate.ResultFailure, Error: "wrong password", Behind: true}},
	}}
	var out bytes.Buffer
	printStatus(&out, st)
	for _, want := range []string{"FAILED", "a (backup) failed: boom", "interrupted", "b (verify) interrupted: daemon stopping",
		"ok, 1 warnings", "killed at stop timeout: pg", "c: warning: db was killed", "ok, unchanged since 01234567",
		"copy to offsite", "after backup", "BEHIND", "e (copy to offsite) failed: wrong password"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
}
