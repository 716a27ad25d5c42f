package format

import "time"

// ClampTime limits t to the years 0…9999. Go's JSON encoder refuses other
// years, which would make a whole tree unencodable because of one file with
// a bogus timestamp; restic clamps the same way (docs/format.md §12.13).
func ClampTime(t time.Time) time.Time {
	switch y := t.Year(); {
	case y < 0:
		return time.Date(0, time.January, 1, 0, 0, 0, 0, t.Location())
	case y > 9999:
		return time.Date(9999, time.December, 31, 23, 59, 59, 999999999, t.Location())
	}
	return t
}
