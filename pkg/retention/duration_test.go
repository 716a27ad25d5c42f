package retention_test

import (
	"errors"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/retention"
)

// TestParseDuration: the accepted inputs and their values are restic
// 0.14's (checked against /usr/bin/restic forget --keep-within); inputs on
// which restic panics are errors here.
func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want retention.Duration
	}{
		{"", retention.Duration{}},
		{"1y2m3d4h", retention.Duration{Years: 1, Months: 2, Days: 3, Hours: 4}},
		{"4h3d2m1y", retention.Duration{Years: 1, Months: 2, Days: 3, Hours: 4}},
		{"36h", retention.Duration{Hours: 36}},
		{" 3d ", retention.Duration{Days: 3}},
		{"1d2d", retention.Duration{Days: 2}}, // the last value of a unit wins
		{"0y", retention.Duration{}},
		{"-1d", retention.Duration{Days: -1}}, // parsed; Validate rejects it
		{"1y-2m", retention.Duration{Years: 1, Months: -2}},
		{"007d", retention.Duration{Days: 7}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := retention.ParseDuration(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseDuration(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, in := range []string{"2h3", "3", "1w", "d", "1.5d", "+1d", "1D", "1d x", "--", "1dh", "-", "１d",
		"99999999999999999999d", "1 d"} {
		t.Run(in, func(t *testing.T) {
			d, err := retention.ParseDuration(in)
			if !errors.Is(err, retention.ErrInvalidDuration) {
				t.Fatalf("ParseDuration(%q) = %+v, %v; want ErrInvalidDuration", in, d, err)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	for _, tc := range []struct {
		d    retention.Duration
		want string
	}{
		{retention.Duration{}, ""},
		{retention.Duration{Hours: 4, Years: 1}, "1y4h"},
		{retention.Duration{Years: 1, Months: -2, Days: 3, Hours: 4}, "1y-2m3d4h"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestDurationBefore: months are calendar months and AddDate normalises
// as restic's does (March 31 minus one month is March 2 in a leap year).
func TestDurationBefore(t *testing.T) {
	from := time.Date(2024, 3, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    string
		want time.Time
	}{
		{"1m", time.Date(2024, 3, 2, 12, 0, 0, 0, time.UTC)},
		{"1y1d", time.Date(2023, 3, 30, 12, 0, 0, 0, time.UTC)},
		{"25h", time.Date(2024, 3, 30, 11, 0, 0, 0, time.UTC)},
	} {
		d, err := retention.ParseDuration(tc.d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Before(from); !got.Equal(tc.want) {
			t.Errorf("%s before %v = %v, want %v", tc.d, from, got, tc.want)
		}
	}
}

// FuzzParseDuration: no input panics, and whatever parses prints back to
// a string that parses to the same value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"", "1y2m3d4h", "2h3", "-1d", " 3d ", "1d2d", "１d", "99999999999999999999d", "1y-2m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := retention.ParseDuration(s)
		if err != nil {
			return
		}
		again, err := retention.ParseDuration(d.String())
		if err != nil || again != d {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, d, d.String(), again, err)
		}
	})
}
