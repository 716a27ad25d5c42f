package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// errOutputClosed cancels a command whose reader went away (drydock ls
// latest | head -1).
var errOutputClosed = errors.New("output closed by its reader")

// Go kills a program that writes to a closed pipe on stdout or stderr,
// there and then: a command holding a repository lock would leave it
// behind. So the signal is caught instead (writes then fail with EPIPE),
// the first such write cancels the command, which releases its lock on
// the way out, and the process ends as the signal would have ended it
// (exit status 141 in a shell), silently.

// catchBrokenPipe makes writes to closed pipes fail instead of killing
// the process. A handler, unlike ignoring the signal, is not inherited by
// the programs drydock runs (ssh).
func catchBrokenPipe() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// pipeWriter is a process's stdout: a write that finds its reader gone
// cancels the command's context.
type pipeWriter struct {
	w      io.Writer
	cancel context.CancelCauseFunc
	broken atomic.Bool
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if errors.Is(err, syscall.EPIPE) && !p.broken.Swap(true) {
		p.cancel(errOutputClosed)
	}
	return n, err
}

// dieOfBrokenPipe ends the process as a write to a closed pipe would
// have, had the signal not been caught: once the signal is Go's again, a
// write to the closed stdout is what makes the runtime die of it (a
// signal sent with kill would be ignored). The exit status a shell would
// show is the fallback.
func dieOfBrokenPipe() {
	signal.Reset(syscall.SIGPIPE)
	_, _ = os.Stdout.Write([]byte{'\n'})
	os.Exit(128 + int(syscall.SIGPIPE))
}
