package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Entry is the cache of one repository, as List finds it.
type Entry struct {
	ID       string    // the repository's ID
	Path     string    // its directory
	LastUsed time.Time // when a command last opened it
	Size     int64     // bytes of its files; -1 if not measured
}

// List returns the repository caches under base, least recently used
// first; with size, it adds up their files (which reads every directory).
// A base that does not exist holds none.
func List(base string, size bool) ([]Entry, error) {
	entries, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cache directory: %w", err)
	}
	var out []Entry
	for _, e := range entries {
		if !e.IsDir() || !backend.IsValidID(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		c := Entry{ID: e.Name(), Path: filepath.Join(base, e.Name()), LastUsed: info.ModTime(), Size: -1}
		if size {
			if c.Size, err = dirSize(c.Path); err != nil {
				return nil, fmt.Errorf("size of cache %s: %w", c.Path, err)
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.LastUsed.Compare(b.LastUsed) })
	return out, nil
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed by a concurrent command
		}
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// Old returns the entries last used before now - maxAge.
func Old(entries []Entry, maxAge time.Duration, now time.Time) []Entry {
	var old []Entry
	for _, e := range entries {
		if e.LastUsed.Before(now.Add(-maxAge)) {
			old = append(old, e)
		}
	}
	return old
}

// Remove deletes the cache of an entry.
func Remove(e Entry) error {
	if err := os.RemoveAll(e.Path); err != nil {
		return fmt.Errorf("remove cache %s: %w", e.Path, err)
	}
	return nil
}
