//go:build !unix

package volume

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// lockFile: Docker volume backups are supported on Unix hosts only.
func lockFile(context.Context, string, string, time.Duration, *slog.Logger) (func(), error) {
	return nil, errors.New("drydock volumes needs a Unix host")
}
