package main

import (
	"context"
	"errors"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// Exit codes. Where the situation is the same as restic's, so is the number,
// so that scripts written for restic keep working.
const (
	exitOK          = 0   // success
	exitFailure     = 1   // any error not listed below, including bad usage
	exitIncomplete  = 3   // backup done, but incomplete: unreadable files or skipped volumes
	exitNoRepo      = 10  // the repository does not exist
	exitLocked      = 11  // the repository is locked by another process
	exitWrongPass   = 12  // wrong password
	exitInterrupted = 130 // SIGINT or SIGTERM stopped the command
)

// exitCodeHelp is appended to every command's help.
const exitCodeHelp = `
Exit codes:
  0    success
  1    error (bad usage, bad input, I/O failure, check found errors)
  3    backup finished, but incomplete: files that could not be read, or
       volumes skipped for malformed labels (see warnings)
  10   repository does not exist
  11   repository is locked
  12   wrong password
  130  interrupted (SIGINT or SIGTERM)
`

// errIncomplete is returned by backup when the snapshot was written but
// some files were left out.
var errIncomplete = backup.ErrIncomplete

// exitCode maps an error returned by a command to the process exit code.
func exitCode(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, errIncomplete):
		return exitIncomplete
	case errors.Is(err, repo.ErrWrongPassword):
		return exitWrongPass
	case errors.Is(err, repo.ErrNoRepository):
		return exitNoRepo
	case errors.Is(err, repo.ErrLocked):
		return exitLocked
	default:
		return exitFailure
	}
}
