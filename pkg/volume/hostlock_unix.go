//go:build unix

package volume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often a waiting lockFile tries the flock again.
const lockPoll = 250 * time.Millisecond

// holderGrace is how long a refused lockFile waits for a holder that has
// the flock but has not written its name yet: the holder writes it right
// after taking the flock, and a refusal that names nobody helps no one.
const holderGrace = 2 * time.Second

// unknownHolder is the holder of a lock whose file is still empty.
const unknownHolder = "a drydock that has not said who it is yet"

// lockFile takes an exclusive flock on path, waiting up to wait for its
// holder to release it. The kernel drops the lock when the process dies,
// so a killed run never leaves it behind. holder is written into the file
// for the message of the next one that has to wait.
func lockFile(ctx context.Context, path, holder string, wait time.Duration, log *slog.Logger) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("host lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	graced := false
	logged := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("host lock %s: %w", path, err)
		}
		by := lockHolder(path)
		if !time.Now().Before(deadline) && by == unknownHolder && !graced {
			deadline, graced = time.Now().Add(holderGrace), true
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return nil, fmt.Errorf("another drydock volumes command holds the host lock %s: %s; it stops and starts containers of this Docker engine, try again when it is done", path, by)
		}
		if !logged && !graced {
			log.Warn("waiting for the host lock", "holder", by, "lock", path, "up_to", wait)
			logged = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the host lock %s (held by %s): %w", path, by, context.Cause(ctx))
		case <-time.After(min(pollEvery(by), time.Until(deadline))):
		}
	}
	// The holder is only for messages; the flock is the lock.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(holder+"\n"), 0)
	_ = f.Sync()
	return func() {
		_ = f.Truncate(0)
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// lockHolder is what the holder of the lock at path wrote about itself.
func lockHolder(path string) string {
	b, _ := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return unknownHolder
}

// pollEvery is how long to wait before trying the flock again: briefly
// while the holder has not yet written its name, which it does at once.
func pollEvery(holder string) time.Duration {
	if holder == unknownHolder {
		return 10 * time.Millisecond
	}
	return lockPoll
}
