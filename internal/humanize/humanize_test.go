package humanize

import "testing"

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		prec int
		want string
	}{
		{0, 1, "0 B"},
		{1023, 3, "1023 B"},
		{1024, 1, "1.0 KiB"},
		{1536, 3, "1.500 KiB"},
		{5 << 20, 1, "5.0 MiB"},
		{3<<30 + 1<<29, 1, "3.5 GiB"},
		{1 << 62, 3, "4.000 EiB"},
	} {
		if got := Bytes(tc.n, tc.prec); got != tc.want {
			t.Errorf("Bytes(%d, %d) = %q, want %q", tc.n, tc.prec, got, tc.want)
		}
	}
}
