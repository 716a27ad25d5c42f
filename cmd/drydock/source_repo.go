package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	loc "github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// addSourceFlags adds restic's flags of a second, source repository
// (copy's, and init's for --copy-chunker-params) to f; purpose ends
// "source repository ..." in the help.
func addSourceFlags(f *pflag.FlagSet, a *repoAccess, purpose string) {
	a.names = &sourceNames
	f.Var(urlFlag{&a.repo}, "from-repo", "source `repository` "+purpose+" (default: $RESTIC_FROM_REPOSITORY)")
	f.StringVar(&a.repoFile, "from-repository-file", "", "`file` from which to read the source repository location "+purpose+" (default: $RESTIC_FROM_REPOSITORY_FILE)")
	f.StringVar(&a.passwordFile, "from-password-file", "", "`file` to read the source repository password from (default: $RESTIC_FROM_PASSWORD_FILE)")
	f.StringVar(&a.passwordCmd, "from-password-command", "", "shell `command` that prints the source repository password (default: $RESTIC_FROM_PASSWORD_COMMAND)")
	f.StringVar(&a.keyHint, "from-key-hint", "", "key ID to try first on the source repository, as restic's; drydock tries every key anyway (default: $RESTIC_FROM_KEY_HINT)")
	for _, name := range legacySecondaryFlags {
		f.Var(legacyFlag{name: name, set: &a.legacy}, name, "restic's old form, refused: use --from-"+strings.TrimSuffix(name, "2"))
		_ = f.MarkHidden(name)
	}
}

// legacySecondaryFlags are restic's flags of the second repository
// before --from-repo (0.10 to 0.13; 0.14 still takes them, deprecated).
// They name it the other way round: -r the source, --repo2 the
// destination. drydock recognises them, to refuse them with the way to
// write the command, rather than to copy in the direction a script meant
// with restic's current flags.
var legacySecondaryFlags = []string{"repo2", "repository-file2", "password-file2", "password-command2", "key-hint2"}

// legacyFlag records that a legacy flag was given.
type legacyFlag struct {
	name string
	set  *string
}

func (f legacyFlag) Set(string) error { *f.set = "--" + f.name; return nil }
func (f legacyFlag) String() string   { return "" }
func (f legacyFlag) Type() string     { return "string" }

// errNoSource is restic's refusal of a copy without a source.
var errNoSource = errors.New("no source repository: use --from-repo, --from-repository-file, RESTIC_FROM_REPOSITORY or RESTIC_FROM_REPOSITORY_FILE")

// sourceLocation is where a's repository is; an error if nothing names
// it, or if restic's old flags do.
func (g *globalOptions) sourceLocation(a *repoAccess) (secret.URL, error) {
	if a.legacy != "" {
		return secret.URL{}, fmt.Errorf("%s is restic's old form, with -r as the source and --repo2 as the destination: write -r DESTINATION --from-repo SOURCE (and --from-password-file, --from-password-command)", a.legacy)
	}
	l, err := g.locationOf(a)
	if err == nil && l.IsZero() {
		err = errNoSource
		if g.getenv("RESTIC_REPOSITORY2") != "" {
			err = fmt.Errorf("%w (RESTIC_REPOSITORY2 is restic's old variable, for the destination, with RESTIC_REPOSITORY as the source: set RESTIC_FROM_REPOSITORY to the source instead)", err)
		}
	}
	return l, err
}

// openSource opens the source repository at location, refusing it if it
// is spelt as the destination is (dst): a repository copied onto itself.
// The caller closes its backend.
func (g *globalOptions) openSource(ctx context.Context, a *repoAccess, location, dst secret.URL) (*repo.Repository, error) {
	if sameLocation(location, dst) {
		return nil, fmt.Errorf("%w: %s is the destination (-r) too", snapcopy.ErrSameRepository, location)
	}
	return g.openLocation(ctx, a, location)
}

// sameLocation compares two locations as written, local directories as
// absolute paths. The repository IDs are compared once both are open
// (snapcopy.Run), which catches every other spelling.
func sameLocation(a, b secret.URL) bool {
	da, okA := loc.LocalDir(a)
	db, okB := loc.LocalDir(b)
	if okA && okB {
		absA, errA := filepath.Abs(da)
		absB, errB := filepath.Abs(db)
		return errA == nil && errB == nil && absA == absB
	}
	return a.Reveal() == b.Reveal()
}
