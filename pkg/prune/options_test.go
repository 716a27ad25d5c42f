package prune_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/drydock-backup/drydock/pkg/prune"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"123", 123, true},
		{"123b", 123, true},
		{"4k", 4 << 10, true},
		{"4K", 4 << 10, true},
		{"10M", 10 << 20, true},
		{"2g", 2 << 30, true},
		{"1T", 1 << 40, true},
		{" 7m ", 7 << 20, true},
		{"", 0, false},
		{"k", 0, false},
		{"-1", 0, false},
		{"1.5M", 0, false},
		{"10MB", 0, false},
		{"16777216T", 0, false}, // 2^64
	}
	for _, tc := range cases {
		got, err := prune.ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestMaxUnused: restic's --max-unused forms and the limit each allows.
func TestMaxUnused(t *testing.T) {
	const used = 95_000
	cases := []struct {
		in        string
		wantLimit uint64
		ok        bool
	}{
		{"5%", 5_000, true},
		{"0%", 0, true},
		{"50%", 95_000, true},
		{"2.5%", 2_435, true},
		{"10K", 10 << 10, true},
		{"1234", 1234, true},
		{"unlimited", math.MaxUint64, true},
		{"100%", 0, false},
		{"-1%", 0, false},
		{"x%", 0, false},
		{"", 0, false},
		{"lots", 0, false},
	}
	for _, tc := range cases {
		m, err := prune.ParseMaxUnused(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseMaxUnused(%q): %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && m.Limit(used) != tc.wantLimit {
			t.Errorf("ParseMaxUnused(%q).Limit(%d) = %d, want %d", tc.in, used, m.Limit(used), tc.wantLimit)
		}
	}
	var zero prune.MaxUnused
	if zero.Limit(used) != 5_000 || zero.String() != "5%" {
		t.Errorf("zero MaxUnused: limit %d, %q; want restic's default 5%%", zero.Limit(used), zero.String())
	}
}

// FuzzParseSize: no input panics, and every accepted size prints back to
// a string that parses to the same value.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "4k", "10M", "2g", "1T", "123b", "", "-1", "16777216T", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := prune.ParseSize(s)
		if err != nil {
			return
		}
		back, err := prune.ParseSize(strconv.FormatUint(n, 10))
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, which prints back as %d (%v)", s, n, back, err)
		}
		if m, err := prune.ParseMaxUnused(s); err != nil || m.Limit(0) != n {
			t.Fatalf("ParseMaxUnused(%q) = %v, %v; want a limit of %d", s, m, err, n)
		}
	})
}
