// Package location opens a repository's storage from the location string
// users give restic and drydock: a local path (optionally "local:PATH") or
// "s3:URL". It is shared by the CLI and the daemon so that both accept the
// same locations and credentials.
package location

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo/backend/retry"
	"github.com/drydock-backup/drydock/pkg/repo/backend/s3"
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
}

// IsS3 tells whether location names an S3 repository.
func IsS3(location string) bool { return strings.HasPrefix(location, "s3:") }

// Open connects to the storage at location. A location that does not exist
// (and is not created) yields an error wrapping repo.ErrNoRepository.
func Open(ctx context.Context, location string, opts Options) (backend.Backend, error) {
	if location == "" {
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
	if opts.RetryMax > 0 {
		be = retry.New(be, retry.Options{MaxElapsed: opts.RetryMax, Logger: opts.Logger})
	}
	return be, nil
}

func open(ctx context.Context, location string, opts Options) (backend.Backend, error) {
	if IsS3(location) {
		cfg, err := s3.ParseURL(location)
		if err != nil {
			return nil, err
		}
		if err := cfg.ApplyEnv(opts.Getenv); err != nil {
			return nil, err
		}
		if opts.Create {
			return s3.Create(ctx, cfg)
		}
		return s3.Open(ctx, cfg)
	}
	dir := strings.TrimPrefix(location, "local:")
	if opts.Create {
		return local.Create(ctx, dir)
	}
	return local.Open(ctx, dir)
}
