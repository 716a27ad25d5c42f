//go:build unix

package volume

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"
)

// TestLockFileNamesALateHolder: a refusal that comes between the holder's
// flock and its writing its name waits for the name, so that the message
// says who holds the lock.
func TestLockFileNamesALateHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), HostLockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		go func() {
			time.Sleep(50 * time.Millisecond) // the holder, slow to write its name
			_, _ = f.WriteAt([]byte("pid 7 on host late\n"), 0)
		}()
		_, err := lockFile(t.Context(), p, "b", 0, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "pid 7 on host late") {
			t.Errorf("lock held by a late holder: %v, want a refusal naming it", err)
		}
	})
}
