// Command drydock backs up Docker hosts into restic-compatible repositories.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// restic probes the owners of locks on its host with SIGHUP, whose
	// default action would kill us while we hold one (docs/format.md §9). The daemon
	// handles it (reload); every other command ignores it.
	signal.Ignore(syscall.SIGHUP)
	catchBrokenPipe()
	collectGarbageSooner()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stdout := &pipeWriter{w: os.Stdout, cancel: cancel}
	stopProfile := startProfile()
	stderr := stderrWriter()
	g := newGlobals(stdout, stderr)
	err := newRoot(g).ExecuteContext(ctx)
	g.closeLockOwner()
	stopProfile()
	if stdout.broken.Load() {
		dieOfBrokenPipe()
	}
	if err != nil {
		fmt.Fprintln(stderr, "drydock:", err)
	}
	os.Exit(exitCode(ctx, err))
}

// collectGarbageSooner lets the heap grow by half between collections
// instead of doubling, unless the user set GOGC. drydock's heap is mostly
// buffers of data without pointers, which a collection hardly has to scan:
// measured on the benchmark, this takes a quarter off peak memory at no
// cost in time we could tell from noise.
func collectGarbageSooner() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}
