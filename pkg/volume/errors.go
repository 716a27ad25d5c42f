package volume

import (
	"errors"
	"fmt"
	"strings"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// Sentinels callers branch on.
var (
	// ErrMaxDowntime: an app stayed stopped for its maximum downtime; its
	// containers were started and its backup is failed.
	ErrMaxDowntime = errors.New("maximum downtime exceeded")
	// ErrNoStateDir: an operation that must journal was called without
	// Options.StateDir.
	ErrNoStateDir = errors.New("no state directory for the stop journal")
)

// HookError is a hook that ran and failed (non-zero exit or timeout).
type HookError struct {
	Container string
	Phase     string // "pre", "post", "dump" or "verify"
	Cmd       []string
	ExitCode  int    // -1 when the hook did not finish
	Output    string // tail of stdout and stderr (of stderr for a dump)
	Err       error  // set when the hook did not finish (timeout, I/O)
}

func (e *HookError) Error() string {
	var b strings.Builder
	what := e.Phase + " hook"
	switch e.Phase {
	case "dump":
		what = "dump command"
	case "verify":
		what = "drydock.verify command"
	}
	fmt.Fprintf(&b, "%s in container %s: %q", what, e.Container, appplan.ClipArgv(e.Cmd))
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	} else {
		fmt.Fprintf(&b, ": exit code %d", e.ExitCode)
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		fmt.Fprintf(&b, "; output: %s", out)
	}
	return b.String()
}

func (e *HookError) Unwrap() error { return e.Err }

func toSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
