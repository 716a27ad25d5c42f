// Package bench holds drydock's benchmarks against stock restic and against
// SHA-256 measured in the same run. It has no code of its own; see the
// _test.go files and README.md.
package bench
