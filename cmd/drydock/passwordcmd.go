package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/drydock-backup/drydock/pkg/secret"
)

// passwordCommand is a's --password-command, else $RESTIC_PASSWORD_COMMAND
// (the source's: --from-password-command, $RESTIC_FROM_PASSWORD_COMMAND),
// unless the repository (and its password file) came from a
// configuration, which ignores $RESTIC_PASSWORD*.
func (g *globalOptions) passwordCommand(a *repoAccess) string {
	if a.passwordCmd != "" || a.passwordFromConfig {
		return a.passwordCmd
	}
	return g.getenv(a.namesOf().passwordCmdEnv)
}

// runPasswordCommand runs cmd with the shell and returns what it prints,
// less the line ends at the end, as restic's --password-command does. What it writes to
// stderr reaches ours (a prompt of a password manager, its errors).
func (g *globalOptions) runPasswordCommand(ctx context.Context, cmd string) (secret.Value, error) {
	var out bytes.Buffer
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Stdin, c.Stdout, c.Stderr = g.stdin, &out, g.stderr
	if err := c.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return secret.Value{}, fmt.Errorf("password command %q exited with status %d", cmd, exit.ExitCode())
		}
		return secret.Value{}, fmt.Errorf("password command %q: %w", cmd, err)
	}
	return secret.New(strings.TrimRight(out.String(), "\r\n")), nil
}
