// Package location opens a repository's storage from the location string
// users give restic and drydock: a local path (optionally "local:PATH"),
// "s3:URL", "sftp:[USER@]HOST:PATH" or "rest:URL". It is shared by the CLI and the daemon so that both accept the
// same locations and credentials.
package location

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/limit"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backend/rclone"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
	"github.com/drydock-backup/drydock/pkg/backend/s3"
	"github.com/drydock-backup/drydock/pkg/backend/sftp"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// Options tune Open.
type Options struct {
	// Create makes the directory or bucket if it is missing (for init).
	Create bool
	// Getenv supplies S3 credentials and region as restic's environment
	// variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or their _FILE
	// variants, AWS_DEFAULT_REGION).
	Getenv func(string) string
	// RetryMax is how long transient errors are retried; 0 means no retry
	// layer.
	RetryMax time.Duration
	Logger   *slog.Logger
	// Extended holds restic's -o key=value options: sftp.command,
	// sftp.args, sftp.connections, rest.connections, rclone.*,
	// s3.object-lock.
	Extended map[string]string
	// CACerts, ClientCert and InsecureTLS are restic's --cacert,
	// --tls-client-cert and --insecure-tls, for s3: and rest:
	// repositories over https.
	CACerts     []string
	ClientCert  string
	InsecureTLS bool
	// CacheDir, if set, is the base directory of the local cache that
	// OpenRepository puts in front of remote repositories (package
	// cache); "" means no cache.
	CacheDir string
	// LimitUpload and LimitDownload cap the transfers to and from the
	// storage in bytes a second (restic's --limit-upload and
	// --limit-download); 0 means no limit.
	LimitUpload, LimitDownload int64
}

// IsS3 tells whether location names an S3 repository.
func IsS3(location secret.URL) bool { return hasScheme(location, "s3") }

// hasScheme tells whether location starts with "scheme:".
func hasScheme(location secret.URL, scheme string) bool {
	return strings.HasPrefix(location.Reveal(), scheme+":")
}

// Check reports whether location is well formed, without touching the
// storage: callers (init, configuration checks) use it to refuse a bad
// location before they create anything.
func Check(location secret.URL) error {
	if location.IsZero() {
		return fmt.Errorf("%w: no repository given", repo.ErrNoRepository)
	}
	if err := checkScheme(location); err != nil {
		return err
	}
	var err error
	switch {
	case hasScheme(location, "sftp"):
		_, err = sftp.ParseLocation(location)
	case hasScheme(location, "rest"):
		_, err = rest.ParseLocation(location)
	case hasScheme(location, "rclone"):
		_, err = rclone.ParseLocation(location.Reveal())
	}
	if err != nil {
		return err
	}
	if !IsS3(location) {
		return nil
	}
	if _, err := parseS3(location); err != nil {
		return fmt.Errorf("repository %s: %w", location, err)
	}
	return nil
}

// parseS3 parses an s3: location. The S3 parser takes whatever precedes
// "://" for a host name, so "s3:ftp://host/bucket" would quietly become
// the host "ftp:" over HTTPS; any scheme but http and https (as restic
// spells them: lower case) is refused here instead.
func parseS3(location secret.URL) (s3.Config, error) {
	rest := strings.TrimPrefix(location.Reveal(), "s3:")
	if scheme, _, ok := strings.Cut(rest, "://"); ok && !strings.Contains(scheme, "/") {
		if scheme != "http" && scheme != "https" {
			return s3.Config{}, fmt.Errorf("unknown URL scheme %q in S3 location (want s3:http://HOST/BUCKET, s3:https://HOST/BUCKET or s3:HOST/BUCKET)", scheme)
		}
	}
	return s3.ParseURL(location)
}

// Open connects to the storage at location. A location that does not exist
// (and is not created) yields an error wrapping repo.ErrNoRepository.
func Open(ctx context.Context, location secret.URL, opts Options) (backend.Backend, error) {
	if location.IsZero() {
		return nil, fmt.Errorf("%w: no repository given", repo.ErrNoRepository)
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	be, err := open(ctx, location, opts)
	if errors.Is(err, backend.ErrLocationMissing) {
		return nil, fmt.Errorf("%w: %s: %w", repo.ErrNoRepository, location, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", location, err)
	}
	// Inside the retry layer: a retried transfer is limited too.
	be = limit.New(be, opts.LimitUpload, opts.LimitDownload)
	if opts.RetryMax > 0 {
		be = retry.New(be, retry.Options{MaxElapsed: opts.RetryMax, Logger: opts.Logger})
	}
	return be, nil
}

func open(ctx context.Context, location secret.URL, opts Options) (backend.Backend, error) {
	if err := checkScheme(location); err != nil {
		return nil, err
	}
	if err := checkExtended(location, opts.Extended); err != nil {
		return nil, err
	}
	if be, ok, err := openRemote(ctx, location, opts); ok {
		return be, err
	}
	if IsS3(location) {
		cfg, err := parseS3(location)
		if err != nil {
			return nil, err
		}
		if err := cfg.ApplyEnv(opts.Getenv); err != nil {
			return nil, err
		}
		if cfg.ObjectLock, err = objectLock(opts.Extended); err != nil {
			return nil, err
		}
		cfg.RetryMax = opts.RetryMax // the bucket check at open is retried too
		cfg.TLS = tlsOptions(opts)
		if opts.Create {
			return s3.Create(ctx, cfg)
		}
		return s3.Open(ctx, cfg)
	}
	dir := strings.TrimPrefix(location.Reveal(), "local:")
	if opts.Create {
		return local.Create(ctx, dir)
	}
	return local.Open(ctx, dir)
}
