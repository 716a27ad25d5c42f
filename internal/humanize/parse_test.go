package humanize

import "testing"

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"0", 0, false},
		{"512", 512, false},
		{"512b", 512, false},
		{"1k", 1 << 10, false},
		{"1K", 1 << 10, false},
		{"2M", 2 << 20, false},
		{"3g", 3 << 30, false},
		{"4T", 4 << 40, false},
		{"", 0, true},
		{"k", 0, true},
		{"-1k", 0, true},
		{"1.5M", 0, true},
		{"2x", 0, true},
		{"1 k", 0, true},
		{"9000000T", 0, true},
	} {
		got, err := ParseBytes(c.in)
		if c.bad != (err != nil) || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, error %v", c.in, got, err, c.want, c.bad)
		}
	}
}
