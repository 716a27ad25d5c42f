package volume_test

import "time"

// waitUntil polls cond (Docker state, as a rule) until it holds or
// timeout passes, and reports whether it held: a wait on the event
// itself, not a guess of how long it takes.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			return cond()
		}
	}
	return true
}
