package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// tagFile marks the base directory as a cache, as the Cache Directory
// Tagging Specification describes: tools that skip caches look for its
// first line.
const (
	tagFile    = "CACHEDIR.TAG"
	tagContent = "Signature: 8a477f597d28d172789f06886806bc55\n" +
		"# This file is a cache directory tag created by drydock.\n" +
		"# For information about cache directory tags, see https://bford.info/cachedir/\n"
)

// DefaultBase is where caches live unless told otherwise: under
// $XDG_CACHE_HOME, else ~/.cache, as the XDG base directory convention
// has it. getenv is the environment (os.Getenv outside tests).
func DefaultBase(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "drydock"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "drydock"), nil
	}
	return "", errors.New("no cache directory: neither XDG_CACHE_HOME nor HOME is set (give --cache-dir or --no-cache)")
}

// Dir is the cache directory of one repository.
type Dir struct {
	path string
}

// Open returns the cache of repository id under base, creating both (mode
// 0700: the cache holds encrypted files, but their number and sizes are
// nobody else's business) and the base's CACHEDIR.TAG as needed. It marks
// the directory as used now, for Cleanup.
func Open(base, id string) (*Dir, error) {
	if !backend.IsValidID(id) {
		return nil, fmt.Errorf("cache for repository %q: the ID is not 64 hex characters", id)
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("create cache directory: %w", err)
	}
	if err := writeTag(base); err != nil {
		return nil, err
	}
	d := &Dir{path: filepath.Join(base, id)}
	for _, sub := range []string{"index", "snapshots", "data"} {
		if err := os.MkdirAll(filepath.Join(d.path, sub), 0o700); err != nil {
			return nil, fmt.Errorf("create cache directory: %w", err)
		}
	}
	now := time.Now()
	if err := os.Chtimes(d.path, now, now); err != nil {
		return nil, fmt.Errorf("mark cache %s as used: %w", d.path, err)
	}
	return d, nil
}

// Path is the directory of the repository's cache.
func (d *Dir) Path() string { return d.path }

// writeTag writes the base's CACHEDIR.TAG unless it is there.
func writeTag(base string) error {
	name := filepath.Join(base, tagFile)
	if _, err := os.Stat(name); err == nil {
		return nil
	}
	if err := writeAtomic(name, []byte(tagContent)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
