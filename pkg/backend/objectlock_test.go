package backend_test

import (
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

func TestParseObjectLock(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		in, err string
		want    backend.ObjectLock
	}{
		{in: "governance:30d", want: backend.ObjectLock{Mode: backend.Governance, Duration: 30 * day}},
		{in: "COMPLIANCE:720h", want: backend.ObjectLock{Mode: backend.Compliance, Duration: 30 * day}},
		{in: "governance:90s", want: backend.ObjectLock{Mode: backend.Governance, Duration: 90 * time.Second}},
		{in: "governance", err: "no duration"},
		{in: "legal:30d", err: `unknown mode "legal"`},
		{in: "governance:30", err: `duration "30"`},
		{in: "governance:0d", err: `duration "0d"`},
		{in: "governance:-1h", err: `duration "-1h"`},
		{in: "governance:500ms", err: `duration "500ms"`},
		{in: "compliance:", err: `duration ""`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := backend.ParseObjectLock(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "want MODE:DURATION") {
					t.Fatalf("got %v, %v; want an error with %q and the usage", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if again, _ := backend.ParseObjectLock(got.String()); again != got {
				t.Fatalf("String %q does not parse back to %+v", got.String(), got)
			}
		})
	}
}

// Due: extend once less than half the duration is left.
func TestObjectLockDue(t *testing.T) {
	o := backend.ObjectLock{Mode: backend.Governance, Duration: 10 * time.Hour}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		left time.Duration
		due  bool
	}{{10 * time.Hour, false}, {5 * time.Hour, false}, {5*time.Hour - time.Second, true}, {0, true}, {-time.Hour, true}} {
		if got := o.Due(now.Add(tc.left), now); got != tc.due {
			t.Errorf("%v left: due %v, want %v", tc.left, got, tc.due)
		}
	}
	if !o.Due(time.Time{}, now) {
		t.Error("no retention at all is not due")
	}
}
