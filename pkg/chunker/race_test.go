//go:build race

package chunker_test

// The race detector makes byte-at-a-time loops ~50x slower. Under it the
// vector tests feed shorter prefixes and fewer read sizes; `make test` runs
// the full set without it as well.
const raceEnabled = true
