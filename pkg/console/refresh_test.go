package console

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRefreshed: an answer is served as kept while fresh, served while a
// background refresh runs until it is maxAge old, fetched while the page
// waits after that, and after an invalidation; an error is kept too.
func TestRefreshed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		fetches, fail := 0, false
		bg := newBackground()
		c := &refreshed[int]{fresh: 10 * time.Second, maxAge: 30 * time.Second, timeout: time.Second, background: bg.start,
			fetch: func(context.Context) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				fetches++
				if fail {
					return 0, errors.New("engine down")
				}
				return fetches, nil
			}}
		get := func(step string, want, wantFetches int) {
			t.Helper()
			a := c.get(t.Context())
			synctest.Wait() // a background refresh, if one started, is done
			mu.Lock()
			defer mu.Unlock()
			if a.Val != want || fetches != wantFetches {
				t.Errorf("%s: got %d after %d fetches, want %d after %d", step, a.Val, fetches, want, wantFetches)
			}
		}
		get("first", 1, 1)
		time.Sleep(5 * time.Second)
		get("fresh", 1, 1)
		time.Sleep(6 * time.Second) // 11 s old
		get("young: the kept answer, refreshed behind", 1, 2)
		get("refreshed", 2, 2)
		time.Sleep(31 * time.Second)
		get("too old: waited for", 3, 3)
		c.invalidate()
		get("invalidated", 4, 4)
		mu.Lock()
		fail = true
		mu.Unlock()
		c.invalidate()
		if a := c.get(t.Context()); a.Err == nil {
			t.Error("a failed fetch gave no error")
		}
		if a := c.get(t.Context()); a.Err == nil || fetches != 5 {
			t.Errorf("the error is not kept: %v after %d fetches", a.Err, fetches)
		}
		bg.cancel()
	})
}
