package retry_test

import (
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend/retry"
)

// attempts records when each attempt of a retried call started.
type attempts struct{ at []time.Time }

// failUntil returns a call that fails like a broken connection until the
// bubble's clock reaches end.
func (a *attempts) failUntil(end time.Time) func() error {
	return func() error {
		a.at = append(a.at, time.Now())
		if time.Now().Before(end) {
			return errReset
		}
		return nil
	}
}

// TestDefaultBackoff: with the default policy the waits between attempts
// start at 500 ms, double up to 15 s, each jittered to [w/2, 3w/2), and a
// call that keeps failing gives up at 2 minutes, not before its last wait
// would have crossed them. In a bubble the clock is exact.
func TestDefaultBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a attempts
		start := time.Now()
		err := retry.Do(t.Context(), retry.Options{}, "save", "data/x", a.failUntil(start.Add(time.Hour)))
		var rerr *retry.Error
		if !errors.As(err, &rerr) || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("got %v, want *retry.Error wrapping ECONNRESET", err)
		}
		if rerr.Attempts != len(a.at) {
			t.Errorf("error says %d attempts, the call ran %d times", rerr.Attempts, len(a.at))
		}
		w := 500 * time.Millisecond
		for i := 1; i < len(a.at); i++ {
			if gap := a.at[i].Sub(a.at[i-1]); gap < w/2 || gap >= w*3/2 {
				t.Errorf("wait %d: %v, want [%v, %v)", i, gap, w/2, w*3/2)
			}
			w = min(2*w, 15*time.Second)
		}
		// The next wait is at least 7.5 s: giving up earlier than 2 m
		// minus that means the budget was cut short.
		if elapsed := time.Since(start); elapsed > 2*time.Minute || elapsed < 2*time.Minute-15*time.Second*3/2 || rerr.Elapsed != a.at[len(a.at)-1].Sub(start) {
			t.Errorf("gave up after %v (error says %v), want within the 2 m budget and not long before", elapsed, rerr.Elapsed)
		}
	})
}

// TestWindowTenSeconds: under an open window of 10 s (the final pass's
// backup.StoppedRetry), a call gives up within 10 s although the policy
// allows 2 minutes; a window closed while a call waits to retry lets that
// call go on under the policy, and it succeeds once the outage ends at 30 s.
func TestWindowTenSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a attempts
		start := time.Now()
		w := retry.NewWindow(10 * time.Second)
		ctx := retry.WithWindow(t.Context(), w)
		err := retry.Do(ctx, retry.Options{}, "save", "data/x", a.failUntil(start.Add(30*time.Second)))
		var rerr *retry.Error
		if !errors.As(err, &rerr) {
			t.Fatalf("under the window: %v, want *retry.Error", err)
		}
		if elapsed := time.Since(start); elapsed > 10*time.Second || len(a.at) < 3 {
			t.Errorf("under the window: gave up after %v and %d attempts, want within 10 s and after several", elapsed, len(a.at))
		}

		a, start = attempts{}, time.Now()
		w = retry.NewWindow(10 * time.Second)
		ctx = retry.WithWindow(t.Context(), w)
		done := make(chan error)
		go func() {
			done <- retry.Do(ctx, retry.Options{}, "save", "data/x", a.failUntil(start.Add(30*time.Second)))
		}()
		time.Sleep(5 * time.Second)
		w.Close()
		if err := <-done; err != nil {
			t.Fatalf("window closed after 5 s: %v, want success once the outage ends", err)
		}
		if end := a.at[len(a.at)-1]; end.Before(start.Add(30 * time.Second)) {
			t.Errorf("last attempt at %v, before the outage ended", end.Sub(start))
		}
	})
}
