package main

import (
	"context"
	"errors"
)

// Exit codes. Where the situation is the same as restic's, so is the number,
// so that scripts written for restic keep working.
const (
	exitOK          = 0   // success
	exitFailure     = 1   // any error not listed below, including bad usage
	exitInterrupted = 130 // SIGINT or SIGTERM stopped the command
)

// exitCodeHelp is appended to the root command's help.
const exitCodeHelp = `
Exit codes:
  0    success
  1    error (bad usage, bad input, I/O failure)
  130  interrupted (SIGINT or SIGTERM)
`

// exitCode maps an error returned by a command to the process exit code.
func exitCode(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	default:
		return exitFailure
	}
}
