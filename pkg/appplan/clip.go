package appplan

import (
	"fmt"
	"unicode/utf8"
)

// MaxLabelSize is the longest label value drydock reads: a longer one is
// malformed (a command or a name of that size is a mistake, and would be
// echoed into every message about it).
const MaxLabelSize = 64 << 10

// clipLen is how much of a label value messages, logs and the plan show.
const clipLen = 200

// Clip cuts s, a label value or a part of one, to a readable length for a
// message, saying how long it was.
func Clip(s string) string {
	if len(s) <= clipLen {
		return s
	}
	cut := clipLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:cut], len(s))
}

// ClipArgv is Clip for each argument of a command, and for the number of
// arguments.
func ClipArgv(argv []string) []string {
	out := make([]string, 0, min(len(argv), 20))
	for i, a := range argv {
		if i == 20 {
			out = append(out, fmt.Sprintf("... (%d arguments)", len(argv)))
			break
		}
		out = append(out, Clip(a))
	}
	return out
}

// checkLabelSize refuses a label value longer than MaxLabelSize.
func checkLabelSize(k, v string) error {
	if len(v) <= MaxLabelSize {
		return nil
	}
	return fmt.Errorf("label %s: value of %d bytes, longer than the %d KiB drydock reads", Clip(k), len(v), MaxLabelSize>>10)
}
