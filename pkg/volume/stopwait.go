package volume

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// Docker's defaults when a container sets no stop signal or timeout.
const (
	defaultStopSignal  = "SIGTERM"
	defaultStopTimeout = 10 * time.Second
	// stopSlack is added to a container's stop timeout when waiting for a
	// stop drydock gave up on: Docker kills at the timeout, then needs a
	// moment to reap the process and record the exit.
	stopSlack = 5 * time.Second
	// exitKilled is the exit code of a process ended by SIGKILL (128+9).
	exitKilled = 137
)

// Kill is a container that did not exit on its stop signal within its stop
// timeout, so Docker killed it (SIGKILL). For a database that is a crash,
// not a clean shutdown: it has to recover at its next start, and the
// snapshot of record holds what it left on disk when it was killed.
type Kill struct {
	Container appplan.ContainerRef
	Signal    string        // the stop signal it did not honour
	Timeout   time.Duration // its stop timeout
}

func (k Kill) String() string {
	return fmt.Sprintf("container %s did not exit within its stop timeout (%s) of %s and was killed (exit code %d): "+
		"an unclean shutdown, for a database a crash; raise its stop timeout (stop_grace_period, --stop-timeout) "+
		"or make it honour %s", k.Container.Name, k.Timeout, k.Signal, exitKilled, k.Signal)
}

// killedOnStop tells whether a container that drydock asked to stop ended
// by Docker's SIGKILL at its stop timeout rather than by its stop signal.
//
// Docker stops a container by sending its stop signal, waiting its stop
// timeout, then sending SIGKILL; a process ended by SIGKILL exits with 137
// (128+9), while one that honours SIGTERM exits 0 or 143. Exit code 137 is
// therefore the kill unless the kernel's OOM killer did it (State.OOMKilled)
// or the stop signal itself is SIGKILL. This reads the outcome Docker
// records on the container, so it also works for a stop that drydock gave
// up on, or that an earlier, killed drydock started; Docker's "kill" events
// would need a subscription open for the whole stop.
func killedOnStop(ins container.InspectResponse) bool {
	st := ins.State
	if st == nil || st.Running || st.OOMKilled || st.ExitCode != exitKilled {
		return false
	}
	return !isKillSignal(stopSignal(ins))
}

func stopSignal(ins container.InspectResponse) string {
	if ins.Config != nil && ins.Config.StopSignal != "" {
		return ins.Config.StopSignal
	}
	return defaultStopSignal
}

func isKillSignal(sig string) bool {
	s := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(sig)), "SIG")
	return s == "KILL" || s == "9"
}

func stopTimeout(ins container.InspectResponse) time.Duration {
	if ins.Config != nil && ins.Config.StopTimeout != nil && *ins.Config.StopTimeout >= 0 {
		return time.Duration(*ins.Config.StopTimeout) * time.Second
	}
	return defaultStopTimeout
}

// killOf describes the kill of ref that ins shows, or returns nil.
func killOf(ref appplan.ContainerRef, ins container.InspectResponse) *Kill {
	if !killedOnStop(ins) {
		return nil
	}
	return &Kill{Container: ref, Signal: stopSignal(ins), Timeout: stopTimeout(ins)}
}

// awaitStop waits for a stop of ref that drydock requested at the time at
// and did not see the end of (it gave up on the request, or died), so
// that whoever starts the container afterwards does not find it still
// running and leave it to Docker's kill. It waits while the container
// runs, until its stop timeout since at (plus stopSlack) has passed or ctx
// ends. It reports whether the container was stopped, and the kill if
// Docker had to kill it (nil otherwise). Errors only cut the wait short:
// the start that follows reports them.
func (m *Manager) awaitStop(ctx context.Context, ref appplan.ContainerRef, at time.Time) (kill *Kill, stopped bool) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	logged := false
	for {
		ins, err := m.ctr.ContainerInspect(ctx, ref.ID)
		if err != nil || ins.State == nil {
			return nil, false // gone or unreachable: resolve and start handle it
		}
		if !ins.State.Running {
			return killOf(ref, ins), true
		}
		deadline := at.Add(stopTimeout(ins) + stopSlack)
		if !time.Now().Before(deadline) {
			return nil, false // the stop never took effect
		}
		if !logged {
			m.log.Info("waiting for the stop drydock requested to end before starting the container again",
				"container", ref.Name, "until", deadline.Format(time.RFC3339))
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-tick.C:
		}
	}
}
