package apprestore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/drydock-backup/drydock/internal/fsutil"
)

// CheckSwappable refuses a mountpoint that is itself a mount (a volume
// with driver options, say): renaming it would not replace what
// containers see.
func CheckSwappable(mountpoint string) error {
	var st, parent syscall.Stat_t
	if err := syscall.Stat(mountpoint, &st); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Stat(filepath.Dir(mountpoint), &parent); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if st.Dev != parent.Dev {
		return fmt.Errorf("data directory %s is a mount point (a volume with driver options?): restore into it by hand", mountpoint)
	}
	return nil
}

// errNoExchange: the filesystem cannot exchange two directories atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange is exchangeDirs; tests replace it to take the two-rename path.
var exchange = exchangeDirs

// SwapDirs puts staged in place of dir and returns where dir's old data is
// now. It exchanges the two atomically where the filesystem can (the old
// data is then at staged); else it renames dir to old and staged to dir,
// renaming old back if the second step fails. On error the volume keeps
// its old data. Both paths are in dir's directory: same filesystem.
func SwapDirs(dir, staged, old string) (string, error) {
	err := exchange(staged, dir)
	if err == nil {
		return staged, fsutil.SyncDir(filepath.Dir(dir))
	}
	if !errors.Is(err, errNoExchange) {
		return "", fmt.Errorf("swap restored data in (old data kept): %w", err)
	}
	if err := os.Rename(dir, old); err != nil {
		return "", fmt.Errorf("move old data aside (old data kept): %w", err)
	}
	if err := os.Rename(staged, dir); err != nil {
		if berr := os.Rename(old, dir); berr != nil {
			return old, fmt.Errorf("move restored data in: %w; and moving the old data back failed, it is in %s: %w", err, old, berr)
		}
		return "", fmt.Errorf("move restored data in (old data kept): %w", err)
	}
	return old, fsutil.SyncDir(filepath.Dir(dir))
}

// SiblingName returns a fresh name beside p (same directory, so same
// filesystem) starting with prefix.
func SiblingName(p, prefix string) string {
	return filepath.Join(filepath.Dir(p), prefix+filepath.Base(p)+"-"+randomHex())
}

// randomHex is 12 random hex digits.
func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
