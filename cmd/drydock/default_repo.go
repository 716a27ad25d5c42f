package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/internal/statedir"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// dataDir is where drydock keeps its default repository:
// $XDG_DATA_HOME/drydock, else ~/.local/share/drydock.
func dataDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "drydock"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no data directory for the default repository: %w", err)
		}
	}
	return filepath.Join(home, ".local", "share", "drydock"), nil
}

// embeddedDefault returns the function that finds — and on first use
// creates — drydock's default repository: a local repository in the data
// directory with a random password in a 0600 file beside it.
func embeddedDefault(g *globalOptions) func(context.Context) (string, string, error) {
	return func(ctx context.Context) (string, string, error) {
		dir, err := dataDir(g.getenv)
		if err != nil {
			return "", "", err
		}
		// On every use, not only the first: a data directory that exists
		// with a wider mode (made by hand, or by an older drydock) holds
		// the password file, and is narrowed.
		if err := statedir.Ensure(dir, g.logger()); err != nil {
			return "", "", fmt.Errorf("data directory of the default repository: %w", err)
		}
		repoDir, pwFile := filepath.Join(dir, "repo"), filepath.Join(dir, "password")
		if _, err := os.Stat(filepath.Join(repoDir, "config")); err == nil {
			return repoDir, pwFile, nil
		}
		if err := createDefault(ctx, g, repoDir, pwFile); err != nil {
			return "", "", fmt.Errorf("create the default repository in %s: %w", dir, err)
		}
		return repoDir, pwFile, nil
	}
}

// existingDefault returns the function that finds drydock's default
// repository if backup created it, else the daemon's default one if the
// daemon created it; else the location stays unset (and the command says
// how to give one).
func existingDefault(g *globalOptions) func(context.Context) (string, string, error) {
	return func(context.Context) (string, string, error) {
		dir, err := dataDir(g.getenv)
		if err != nil {
			return "", "", nil
		}
		repoDir := filepath.Join(dir, "repo")
		if _, err := os.Stat(filepath.Join(repoDir, "config")); err != nil {
			path, pw := daemonDefaultRepo(g)
			return path, pw, nil
		}
		return repoDir, filepath.Join(dir, "password"), nil
	}
}

func createDefault(ctx context.Context, g *globalOptions, repoDir, pwFile string) error {
	created, err := location.InitIfMissing(ctx, secret.NewURL(repoDir), pwFile, location.Options{Logger: g.logger()}, g.repoOptions())
	if err != nil || !created {
		return err
	}
	fmt.Fprintf(g.stderr, `created drydock's default repository:
  repository:    %s
  password file: %s (keep a copy somewhere safe: without it the backups cannot be read)
restore with drydock or with stock restic:
  restic -r %s --password-file %s snapshots
  restic -r %s --password-file %s restore latest --target /tmp/restore
`, repoDir, pwFile, repoDir, pwFile, repoDir, pwFile)
	return nil
}
