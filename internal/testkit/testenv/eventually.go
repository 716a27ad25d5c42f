package testenv

import "time"

// Eventually calls cond every interval until it returns true, and reports
// whether it did before timeout passed. cond runs at least once, and once
// more at the deadline, so that a slow first call does not use up the
// time. Tests wait with it for what they cannot be told of (a container
// state, a file, a log line, a daemon's status) instead of sleeping for a
// guessed time; inside a synctest bubble its waits take no real time.
func Eventually(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(interval, max(time.Until(deadline), 0)))
	}
	return true
}
