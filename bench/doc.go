// Package bench holds drydock's benchmarks against stock restic and against
// SHA-256 measured in the same run: the _test.go files, the scripts
// (backup.sh, memory.sh, cpu.sh, warm.sh, build-restic.sh), and small
// programs they use: warmbackup (the daemon's warm no-change backup),
// sha256walk (the SHA-256 yardstick of cpu.sh), probeeval (how the
// compressibility probe does on real files) and profshare.py (a CPU
// profile split into components). See README.md and docs/performance.md.
package bench
