package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

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
}

// errNoSource is restic's refusal of a copy without a source.
var errNoSource = errors.New("no source repository: use --from-repo, --from-repository-file, RESTIC_FROM_REPOSITORY or RESTIC_FROM_REPOSITORY_FILE")

// sourceLocation is where a's repository is; an error if nothing names it.
func (g *globalOptions) sourceLocation(a *repoAccess) (secret.URL, error) {
	l, err := g.locationOf(a)
	if err == nil && l.IsZero() {
		err = errNoSource
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
