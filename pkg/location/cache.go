package location

import (
	"log/slog"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/cache"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// IsRemote tells whether location is storage that a local cache speeds
// up: s3:, sftp:, rest: and rclone:. A local repository is read as fast
// as a cache would be, so it has none (as with restic).
func IsRemote(location secret.URL) bool {
	for _, s := range []string{"s3", "sftp", "rest", "rclone"} {
		if hasScheme(location, s) {
			return true
		}
	}
	return false
}

// withCache returns the repo.Options.Cache hook that puts the cache under
// base in front of a repository. A cache that cannot be opened is warned
// about and skipped: it would only have made the command faster.
func withCache(base string, log *slog.Logger) func(string, backend.Backend) backend.Backend {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(id string, be backend.Backend) backend.Backend {
		dir, err := cache.Open(base, id)
		if err != nil {
			log.Warn("running without a cache", "err", err)
			return be
		}
		return cache.New(be, dir, log)
	}
}
