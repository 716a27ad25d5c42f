package main

import (
	"github.com/spf13/pflag"

	"github.com/drydock-backup/drydock/pkg/backend/cache"
)

func (g *globalOptions) addCacheFlags(f *pflag.FlagSet) {
	f.StringVar(&g.cacheDir, "cache-dir", "", "`directory` of the local cache of remote repositories (default: $RESTIC_CACHE_DIR, else $XDG_CACHE_HOME/drydock or ~/.cache/drydock)")
	f.BoolVar(&g.noCache, "no-cache", false, "use no local cache: every index and snapshot file is read from the repository")
}

// cacheBase is the base directory of the local cache, or "" with
// --no-cache or when there is nowhere to put one.
func (g *globalOptions) cacheBase() string {
	if g.noCache {
		return ""
	}
	base, err := g.cacheBaseDir()
	if err != nil {
		g.logger().Warn("running without a cache", "err", err)
		return ""
	}
	return base
}

// cacheBaseDir is where the cache lives: --cache-dir, RESTIC_CACHE_DIR or
// the XDG default.
func (g *globalOptions) cacheBaseDir() (string, error) {
	if g.cacheDir != "" {
		return g.cacheDir, nil
	}
	if d := g.getenv("RESTIC_CACHE_DIR"); d != "" {
		return d, nil
	}
	return cache.DefaultBase(g.getenv)
}
