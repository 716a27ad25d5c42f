// Package heldfile marks work in progress with files that their process
// holds locked (flock) for as long as it lives. The kernel drops the lock
// when the process dies, so a file whose lock another process can take
// proves that its maker ended without cleaning up (kill -9, a crash, a
// power cut). Drill and restore journals and lock owners use it to tell
// what a dead process left from what a live one is still doing.
package heldfile

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/internal/fsutil"
)

// TempPrefix starts the name a file has while Create makes it. A sweeper
// skips such names: their maker may not hold the lock yet.
const TempPrefix = ".new-"

// Create makes path, which must not exist, holding its exclusive lock
// from the moment it has its name: the file is made under a temporary
// name, locked, given header (for a person who looks; the lock is what
// counts) and synced, and only then linked into place, so that no
// sweeper can take it for abandoned. The file is open for appending; the
// lock lasts until it is closed.
func Create(path, header string) (*os.File, error) {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, TempPrefix+filepath.Base(path))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := lock(f, true); err != nil {
		return fail(err)
	}
	if _, err := f.WriteString(header); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	// A link, unlike a rename, fails if path exists: never two makers.
	if err := os.Link(tmp, path); err != nil {
		return fail(err)
	}
	_ = os.Remove(tmp)
	if err := fsutil.SyncDir(dir); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Claim takes path's exclusive lock if no live process holds it. The
// returned file keeps everyone else (its maker, were it alive after all;
// a second sweeper) out until it is closed: the caller cleans up after the
// dead maker, removes path, then closes the file. ok is false while a
// live process holds the lock, or when path is gone.
func Claim(path string) (f *os.File, ok bool) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, false
	}
	if lock(f, true) != nil {
		_ = f.Close()
		return nil, false
	}
	return f, true
}

// Abandoned tells whether path exists and no live process holds its lock.
// It looks with a shared lock, so that two processes looking at once do
// not take each other for its maker.
func Abandoned(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return lock(f, false) == nil
}
