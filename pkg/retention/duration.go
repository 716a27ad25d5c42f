package retention

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a calendar span as restic's --keep-within options take it:
// years, months, days and hours, applied with time.Time.AddDate so that a
// month is a calendar month, not 30 days.
type Duration struct {
	Years, Months, Days, Hours int
}

// ErrInvalidDuration is wrapped by every ParseDuration error.
var ErrInvalidDuration = errors.New("invalid duration")

// ParseDuration parses restic's duration syntax: numbers each followed by a
// unit y, m, d or h, in any order, e.g. "1y2m3d4h" or "36h". Surrounding
// white space is ignored; "" is the zero duration. As in restic 0.14, a
// number may carry a minus sign (Policy.Validate rejects it) and a unit
// given twice keeps its last value.
func ParseDuration(s string) (Duration, error) {
	var d Duration
	rest := strings.TrimSpace(s)
	for rest != "" {
		num, after, err := leadingNumber(rest)
		if err != nil {
			return Duration{}, fmt.Errorf("%w %q: %w (want numbers with units y, m, d, h, e.g. 1y2m3d4h)", ErrInvalidDuration, s, err)
		}
		if after == "" {
			return Duration{}, fmt.Errorf("%w %q: no unit after %d (want y, m, d or h)", ErrInvalidDuration, s, num)
		}
		switch after[0] {
		case 'y':
			d.Years = num
		case 'm':
			d.Months = num
		case 'd':
			d.Days = num
		case 'h':
			d.Hours = num
		default:
			return Duration{}, fmt.Errorf("%w %q: unknown unit %q after %d (want y, m, d or h)", ErrInvalidDuration, s, after[:1], num)
		}
		rest = after[1:]
	}
	return d, nil
}

// leadingNumber splits an optionally negative decimal number off s.
func leadingNumber(s string) (int, string, error) {
	digits := strings.TrimPrefix(s, "-")
	n := 0
	for n < len(digits) && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0, s, fmt.Errorf("no number at %q", s)
	}
	end := len(s) - len(digits) + n
	num, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0, s, fmt.Errorf("number %s is out of range", s[:end])
	}
	return num, s[end:], nil
}

// String formats d the way ParseDuration reads it, largest unit first,
// leaving out zero units: "1y2m3d4h", "36h"; the zero duration is "".
func (d Duration) String() string {
	var b strings.Builder
	for _, u := range []struct {
		n    int
		unit byte
	}{{d.Years, 'y'}, {d.Months, 'm'}, {d.Days, 'd'}, {d.Hours, 'h'}} {
		if u.n != 0 {
			b.WriteString(strconv.Itoa(u.n))
			b.WriteByte(u.unit)
		}
	}
	return b.String()
}

// Set parses s into d; with Type it makes *Duration a pflag.Value.
func (d *Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Type names the flag's value in help texts.
func (Duration) Type() string { return "duration" }

// Zero reports whether every unit is zero: such a duration disables the
// option it is given to, as in restic.
func (d Duration) Zero() bool { return d == Duration{} }

// Before returns the point in time d before t, in t's location.
func (d Duration) Before(t time.Time) time.Time {
	return t.AddDate(-d.Years, -d.Months, -d.Days).Add(-time.Duration(d.Hours) * time.Hour)
}

// validate rejects negative units, and hours that overflow time.Duration.
func (d Duration) validate() error {
	if d.Years < 0 || d.Months < 0 || d.Days < 0 || d.Hours < 0 {
		return fmt.Errorf("%w %q: negative values are not allowed", ErrInvalidDuration, d.String())
	}
	if int64(d.Hours) > math.MaxInt64/int64(time.Hour) {
		return fmt.Errorf("%w %q: too many hours", ErrInvalidDuration, d.String())
	}
	return nil
}
