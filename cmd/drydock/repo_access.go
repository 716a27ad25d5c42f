package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	loc "github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// repoAccess is how one repository and its password are chosen: the
// values of the flags, and by names which flags and variables those are.
// The repository of every command has restic's -r and RESTIC_REPOSITORY;
// copy's and init's source has --from-repo and RESTIC_FROM_REPOSITORY.
// Both are opened by the same code (globalOptions.openLocation).
type repoAccess struct {
	repo         secret.URL // -r
	repoFile     string     // a file holding the location (--from-repository-file)
	passwordFile string
	passwordCmd  string // --password-command
	// keyHint is restic's --from-key-hint, accepted for its scripts: a
	// hint only, drydock tries every key file anyway.
	keyHint string
	// legacy is restic's old --repo2 (or a flag of its group), if given:
	// refused (see legacySecondaryFlags).
	legacy string
	// passwordFromConfig: the repository and its password file came from a
	// configuration (--config/--repo-name).
	passwordFromConfig bool
	names              *accessNames // nil means primaryNames
}

// accessNames are the flags and variables of one repoAccess, for reading
// the environment and for messages.
type accessNames struct {
	what                                                  string // "repository", "source repository"
	repoFlag, repoFileFlag, passwordFileFlag, passwordCmd string
	repoEnv, repoFileEnv, passwordFileEnv, passwordCmdEnv string
	passwordEnv                                           string
}

var primaryNames = accessNames{
	what: "repository", repoFlag: "-r/--repo", passwordFileFlag: "--password-file", passwordCmd: "--password-command",
	repoEnv: "RESTIC_REPOSITORY", passwordFileEnv: "RESTIC_PASSWORD_FILE", passwordCmdEnv: "RESTIC_PASSWORD_COMMAND",
	passwordEnv: "RESTIC_PASSWORD",
}

// sourceNames are restic's for copy's source (and init's, for
// --copy-chunker-params).
var sourceNames = accessNames{
	what: "source repository", repoFlag: "--from-repo", repoFileFlag: "--from-repository-file",
	passwordFileFlag: "--from-password-file", passwordCmd: "--from-password-command",
	repoEnv: "RESTIC_FROM_REPOSITORY", repoFileEnv: "RESTIC_FROM_REPOSITORY_FILE",
	passwordFileEnv: "RESTIC_FROM_PASSWORD_FILE", passwordCmdEnv: "RESTIC_FROM_PASSWORD_COMMAND",
	passwordEnv: "RESTIC_FROM_PASSWORD",
}

func (a *repoAccess) namesOf() *accessNames {
	if a.names == nil {
		return &primaryNames
	}
	return a.names
}

// repoLocation returns where the repository is, from the flag, then the
// environment.
func (g *globalOptions) repoLocation() secret.URL {
	if !g.repo.IsZero() {
		return g.repo
	}
	return secret.NewURL(g.getenv("RESTIC_REPOSITORY"))
}

// locationOf is repoLocation for any repoAccess: the location, or the
// file holding it, each from its flag, else its variable; as in restic,
// the two exclude each other, whichever way each is given. Zero if none
// is set.
func (g *globalOptions) locationOf(a *repoAccess) (secret.URL, error) {
	n := a.namesOf()
	l, file := a.repo, a.repoFile
	if l.IsZero() {
		l = secret.NewURL(g.getenv(n.repoEnv))
	}
	if file == "" && n.repoFileEnv != "" {
		file = g.getenv(n.repoFileEnv)
	}
	switch {
	case !l.IsZero() && file != "":
		return secret.URL{}, fmt.Errorf("%s (or %s) and %s (or %s) exclude each other: give one", n.repoFlag, n.repoEnv, n.repoFileFlag, n.repoFileEnv)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return secret.URL{}, fmt.Errorf("read the %s's location: %w", n.what, err)
		}
		return secret.NewURL(strings.TrimSpace(string(b))), nil
	}
	return l, nil
}

// password is passwordOf for the repository of the command.
func (g *globalOptions) password(ctx context.Context) (secret.Value, error) {
	return g.passwordOf(ctx, &g.repoAccess)
}

// passwordOf follows restic's order: --password-file or $RESTIC_PASSWORD_FILE,
// or --password-command or $RESTIC_PASSWORD_COMMAND (never both), then
// $RESTIC_PASSWORD, then a prompt if stdin is a terminal, then a line
// piped in on stdin (the source's: the same with its names). Like
// restic, it refuses an empty password: taken as is, it would be reported
// as a wrong one, or init would make a repository anyone can open.
func (g *globalOptions) passwordOf(ctx context.Context, a *repoAccess) (secret.Value, error) {
	pw, source, err := g.readPassword(ctx, a)
	if err != nil {
		return pw, err
	}
	if pw.IsZero() {
		return pw, fmt.Errorf("%w %s", loc.ErrEmptyPassword, source)
	}
	return pw, nil
}

// readPassword returns the password and where it came from.
func (g *globalOptions) readPassword(ctx context.Context, a *repoAccess) (pw secret.Value, source string, err error) {
	n := a.namesOf()
	file := a.passwordFile
	if file == "" {
		file = g.getenv(n.passwordFileEnv)
	}
	cmd := g.passwordCommand(a)
	switch {
	case file != "" && cmd != "":
		return secret.Value{}, "", fmt.Errorf("a password file (%s) and a password command (%q) exclude each other: give one", file, cmd)
	case file != "":
		pw, err := loc.ReadPassword(file)
		return pw, "in password file " + file, err
	case cmd != "":
		pw, err := g.runPasswordCommand(ctx, cmd)
		return pw, "printed by the password command", err
	}
	if pw := g.getenv(n.passwordEnv); pw != "" {
		return secret.New(pw), "in " + n.passwordEnv, nil
	}
	if g.stdinIsData {
		return secret.Value{}, "", fmt.Errorf("backup --stdin reads the data from standard input, so the password for %s cannot come from there: give --password-file, --password-command or %s", n.what, n.passwordEnv)
	}
	if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(g.stderr, "enter password for %s: ", n.what)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		return secret.New(string(pw)), "entered", err
	}
	// Like restic: a password may be piped in on stdin.
	if g.stdin != nil {
		line, err := bufio.NewReader(g.stdin).ReadString('\n')
		if err == nil || (errors.Is(err, io.EOF) && line != "") {
			return secret.New(strings.TrimRight(line, "\r\n")), "read from stdin", nil
		}
	}
	return secret.Value{}, "", fmt.Errorf("no password for the %s: use %s, %s, %s, %s or %s",
		n.what, n.passwordFileFlag, n.passwordCmd, n.passwordFileEnv, n.passwordCmdEnv, n.passwordEnv)
}
