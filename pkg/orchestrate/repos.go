package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/location"
)

// Defaults for repositories that do not say.
const (
	defaultLockWait = 10 * time.Minute
	defaultRetryMax = 2 * time.Minute
)

// repoEnv returns the environment an S3 backend reads its credentials
// from: the configuration's files first, then the daemon's environment
// (e.g. systemd's EnvironmentFile or credentials).
func repoEnv(rc *config.Repository, getenv func(string) string) func(string) string {
	set := map[string]string{}
	if s := rc.SFTP; s != nil {
		set[location.EnvSFTPKeyFile] = s.KeyFile
		set[location.EnvSFTPKnownHostsFile] = s.KnownHostsFile
	}
	if s := rc.S3; s != nil {
		set["AWS_ACCESS_KEY_ID"] = s.AccessKeyID
		set["AWS_ACCESS_KEY_ID_FILE"] = s.AccessKeyIDFile
		set["AWS_SECRET_ACCESS_KEY_FILE"] = s.SecretAccessKeyFile
		set["AWS_DEFAULT_REGION"] = s.Region
	}
	return func(k string) string {
		if v := set[k]; v != "" {
			return v
		}
		return getenv(k)
	}
}

// openRepo opens (and with create and init, first creates) the
// repository named name. The caller closes its backend.
func openRepo(ctx context.Context, name string, rc *config.Repository, getenv func(string) string, log *slog.Logger, create bool) (*repo.Repository, error) {
	// The daemon keeps repositories open (repoPool): parent trees of the
	// next backup come from the cache.
	opts := repo.Options{Logger: log, LockRetry: time.Duration(rc.LockWait), TreeCache: repo.DefaultTreeCache}
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
	lopts := location.Options{Getenv: repoEnv(rc, getenv), RetryMax: retryMax, Logger: log, Extended: rc.Options}
	if t := rc.REST; t != nil {
		lopts.CACerts, lopts.ClientCert = t.CACert, t.TLSClientCert
	}
	if rc.Init && create {
		if err := initRepo(ctx, rc, lopts, opts.Compression, log); err != nil {
			return nil, fmt.Errorf("repository %s: create %s: %w", name, location.Redact(rc.Location), err)
		}
	}
	be, err := location.Open(ctx, rc.Location, lopts)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", name, err)
	}
	pw, err := location.ReadPassword(rc.PasswordFile)
	if err != nil {
		be.Close()
		return nil, fmt.Errorf("repository %s: %w", name, err)
	}
	r, err := repo.Open(ctx, be, pw, opts)
	if err != nil {
		be.Close()
		return nil, fmt.Errorf("repository %s (%s): %w", name, location.Redact(rc.Location), err)
	}
	return r, nil
}

// initRepo creates the repository, and its password file, unless the
// repository exists. An existing password file is used, never replaced.
func initRepo(ctx context.Context, rc *config.Repository, lopts location.Options, comp compress.Mode, log *slog.Logger) error {
	be, err := location.Open(ctx, rc.Location, lopts)
	if err == nil {
		_, serr := be.Stat(ctx, backend.Handle{Type: backend.ConfigFile})
		be.Close()
		if serr == nil {
			return nil
		}
	} else if !errors.Is(err, repo.ErrNoRepository) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(rc.PasswordFile), 0o700); err != nil {
		return err
	}
	if err := location.CreatePasswordFile(rc.PasswordFile); err != nil {
		return err
	}
	pw, err := location.ReadPassword(rc.PasswordFile)
	if err != nil {
		return err
	}
	lopts.Create = true
	be, err = location.Open(ctx, rc.Location, lopts)
	if err != nil {
		return err
	}
	defer be.Close()
	if _, err := repo.Init(ctx, be, pw, repo.InitOptions{}, repo.Options{Compression: comp, Logger: log}); err != nil {
		return err
	}
	log.Info("created repository; keep a copy of its password file somewhere safe",
		"location", location.Redact(rc.Location), "password_file", rc.PasswordFile)
	return nil
}
