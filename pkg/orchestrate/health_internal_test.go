package orchestrate

import (
	"testing"
	"time"
)

// TestHealthy: unhealthy once the last success is older than twice the
// interval and two scheduled runs were missed; gaps of irregular
// schedules (weekends, two runs close together) are not failures.
func TestHealthy(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v.Local()
	}
	cases := []struct {
		schedule, last, now string
		want                bool
	}{
		{"0 3 * * *", "2026-11-20 03:05", "2026-11-21 12:00", true},
		{"0 3 * * *", "2026-11-20 03:05", "2026-11-22 03:04", true},
		{"0 3 * * *", "2026-11-20 03:05", "2026-11-22 03:10", false},
		// Weekdays: Friday's success is fine until Tuesday's run is missed.
		{"0 3 * * 1-5", "2026-11-20 03:05", "2026-11-22 15:00", true},
		{"0 3 * * 1-5", "2026-11-20 03:05", "2026-11-24 02:00", true},
		{"0 3 * * 1-5", "2026-11-20 03:05", "2026-11-24 04:00", false},
		// Two runs an hour apart, then 23 hours: not unhealthy at 06:00.
		{"0 3,4 * * *", "2026-11-20 04:05", "2026-11-20 06:00", true},
		{"0 3,4 * * *", "2026-11-20 04:05", "2026-11-21 05:00", false},
		{"*/10 * * * * *", "2026-11-20 04:00", "2026-11-20 04:00", true},
		{"not a schedule", "2026-11-20 04:00", "2026-11-20 04:00", false},
	}
	for _, tc := range cases {
		last := at(tc.last)
		js := JobStatus{Schedule: tc.schedule, LastSuccess: &last}
		if got := healthy(js, 0, last, at(tc.now)); got != tc.want {
			t.Errorf("%q, last success %s, now %s: healthy %v, want %v", tc.schedule, tc.last, tc.now, got, tc.want)
		}
	}
}
