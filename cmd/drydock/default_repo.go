package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend/local"
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
		repoDir, pwFile := filepath.Join(dir, "repo"), filepath.Join(dir, "password")
		if _, err := os.Stat(filepath.Join(repoDir, "config")); err == nil {
			return repoDir, pwFile, nil
		}
		if err := createDefault(ctx, g, dir, repoDir, pwFile); err != nil {
			return "", "", fmt.Errorf("create the default repository in %s: %w", dir, err)
		}
		return repoDir, pwFile, nil
	}
}

func createDefault(ctx context.Context, g *globalOptions, dir, repoDir, pwFile string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(pwFile); errors.Is(err, os.ErrNotExist) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		// O_EXCL: never overwrite a password that may protect a repository.
		f, err := os.OpenFile(pwFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, werr := f.WriteString(base64.RawURLEncoding.EncodeToString(b[:]) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return err
		}
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		return err
	}
	be, err := local.Create(ctx, repoDir)
	if err != nil {
		return err
	}
	defer be.Close()
	if _, err := repo.Init(ctx, be, trimNewline(string(pw)), repo.InitOptions{}, g.repoOptions()); err != nil {
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

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
