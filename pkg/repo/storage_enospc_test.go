package repo_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// smallFS mounts an 8 MiB tmpfs of its own and returns its path; it is
// unmounted when the test ends. It needs root (tests run as root in CI).
func smallFS(t *testing.T) string {
	t.Helper()
	testenv.RequireOrSkip(t, os.Geteuid() == 0, "mounting a tmpfs needs root")
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=8m"); err != nil {
		testenv.RequireOrSkip(t, false, "mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestDiskFullIsReported: a backup into a repository whose file system
// fills up fails with "no space left on device" and the path, every time;
// no caller of SaveBlob ever gets a follow-up error of a pack writer that
// failed earlier ("writer already finalized"), which used to win when that
// caller's error was the one reported.
func TestDiskFullIsReported(t *testing.T) {
	// One data packer, so that a failed one would surely be handed on.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for run := range 4 {
		dir := filepath.Join(smallFS(t), "repo")
		be, err := local.Create(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		r, err := repo.Init(t.Context(), be, password, repo.InitOptions{KDF: cheapKDF}, repo.Options{PackSize: 4 << 20, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var errs []error
		_, err = r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 8 {
						blob := make([]byte, 512<<10)
						_, _ = rand.Read(blob)
						if _, _, err := s.SaveBlob(ctx, format.DataBlob, blob); err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			return errors.Join(errs...)
		})
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("run %d: backup onto a full file system: %v; want ENOSPC naming %s", run, err, dir)
		}
		for _, e := range errs {
			if !errors.Is(e, syscall.ENOSPC) && !errors.Is(e, context.Canceled) {
				t.Fatalf("run %d: SaveBlob on a full file system: %v; want ENOSPC", run, e)
			}
		}
	}
}
