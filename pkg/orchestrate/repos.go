package orchestrate

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// Defaults for repositories that do not say.
const (
	defaultLockWait = 10 * time.Minute
	defaultRetryMax = 2 * time.Minute
)

// repoEnv returns the environment an S3 or SFTP backend of rc reads its
// credentials from (config.Repository.Env).
func repoEnv(rc *config.Repository, getenv func(string) string) func(string) string {
	return rc.Env(getenv)
}

// openRepo opens (and with create and init, first creates) the
// repository named name, its locks marked by owner (may be nil), the lock
// files it cannot remove noted in left (nil: its own). The caller closes
// its backend.
//
// cacheDir, if set, is the base of the local cache of remote
// repositories (index, snapshot and tree pack files, as the CLI's): a
// restarted daemon reads only what changed.
func openRepo(ctx context.Context, name string, rc *config.Repository, cacheDir string, getenv func(string) string, log *slog.Logger, create bool, owner repo.LockOwner, left *repo.LeftLocks) (*repo.Repository, error) {
	// The daemon keeps repositories open (repoPool): parent trees of the
	// next backup come from the cache.
	opts := repo.Options{Logger: log, LockRetry: time.Duration(rc.LockWait), TreeCache: repo.DefaultTreeCache, LockOwner: owner, LeftLocks: left}
	if opts.LockRetry == 0 {
		opts.LockRetry = defaultLockWait
	}
	if rc.Compression != "" {
		if err := opts.Compression.Set(rc.Compression); err != nil {
			return nil, err
		}
	}
	retryMax := time.Duration(rc.RetryMax)
	if retryMax == 0 {
		retryMax = defaultRetryMax
	}
	lopts := location.Options{Getenv: repoEnv(rc, getenv), RetryMax: retryMax, Logger: log, Extended: rc.Options, CacheDir: cacheDir}
	if t := rc.REST; t != nil {
		lopts.CACerts, lopts.ClientCert = t.CACert, t.TLSClientCert
	}
	if rc.Init && create {
		created, err := location.InitIfMissing(ctx, rc.Location, rc.PasswordFile, lopts, repo.Options{Compression: opts.Compression, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("repository %s: create %s: %w", name, rc.Location, err)
		}
		if created {
			log.Info("created repository; keep a copy of its password file somewhere safe",
				"location", rc.Location, "password_file", rc.PasswordFile)
		}
	}
	pw, err := location.ReadPassword(rc.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", name, err)
	}
	r, err := location.OpenRepository(ctx, rc.Location, pw, lopts, opts)
	if err != nil {
		return nil, fmt.Errorf("repository %s (%s): %w", name, rc.Location, err)
	}
	return r, nil
}

// cacheDir is where the daemon caches its remote repositories' files.
func cacheDir(cfg *config.Config) string { return filepath.Join(cfg.StateDir, "cache") }
