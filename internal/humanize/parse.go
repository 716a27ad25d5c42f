package humanize

import (
	"fmt"
	"math/bits"
	"strconv"
)

// ParseBytes reads a size as restic's flags take it: a whole number of
// bytes, optionally followed by b, k, m, g or t (either case; binary
// multiples): "1k" is 1024.
func ParseBytes(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("size: empty, want a number such as 500k or 2G")
	}
	num, unit := s[:len(s)-1], uint64(1)
	switch s[len(s)-1] {
	case 'b', 'B':
	case 'k', 'K':
		unit = 1 << 10
	case 'm', 'M':
		unit = 1 << 20
	case 'g', 'G':
		unit = 1 << 30
	case 't', 'T':
		unit = 1 << 40
	default:
		num = s
	}
	n, err := strconv.ParseUint(num, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number such as 500k or 2G", s)
	}
	hi, lo := bits.Mul64(n, unit)
	if hi != 0 || lo > 1<<63-1 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return int64(lo), nil
}
