package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/volume"
)

func lockCount(t *testing.T, r *repo.Repository) int {
	t.Helper()
	ids, err := r.List(context.WithoutCancel(t.Context()), backend.LockFile)
	if err != nil {
		t.Error(err)
	}
	return len(ids)
}

func dataDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("content of "+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRunPaths: the use case locks the repository for the whole backup
// (index and snapshots loaded, files read) and releases the lock after,
// reports progress through its hooks, and writes one snapshot whose
// parent is found among the snapshots it loaded itself.
func TestRunPaths(t *testing.T) {
	data := dataDir(t, "a", "b", "c")
	r, _ := repotest.New(t, 2, repo.Options{})
	var mu sync.Mutex
	var progress []archiver.Stats
	locksAtLoad, locksInProgress := 0, map[int]bool{}
	opts := backup.PathOptions{
		Host: "h",
		Loaded: func() {
			locksAtLoad = lockCount(t, r)
		},
		Progress: func(s archiver.Stats) {
			n := lockCount(t, r)
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, s)
			locksInProgress[n] = true
		},
	}
	first, err := backup.RunPaths(t.Context(), r, []string{data}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if locksAtLoad != 1 || len(locksInProgress) != 1 || !locksInProgress[1] {
		t.Fatalf("lock files when loaded: %d, while reading files: %v; want our lock, one", locksAtLoad, locksInProgress)
	}
	if n := lockCount(t, r); n != 0 {
		t.Fatalf("%d lock files left after the backup", n)
	}
	most := uint(0) // the archiver reports from several goroutines
	for _, p := range progress {
		most = max(most, p.FilesProcessed)
	}
	if most != 3 {
		t.Fatalf("progress %+v, want it to reach 3 files", progress)
	}
	if n := snapshotCount(t, r); n != 1 || first.Snapshot.Summary.FilesNew != 3 {
		t.Fatalf("%d snapshots, summary %+v", n, first.Snapshot.Summary)
	}

	// A second run finds the first snapshot as its parent: it loaded the
	// snapshots under its lock.
	second, err := backup.RunPaths(t.Context(), r, []string{data}, backup.PathOptions{Host: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Snapshot.Parent == nil || *second.Snapshot.Parent != first.ID || second.Snapshot.Summary.FilesUnmodified != 3 {
		t.Fatalf("second snapshot: parent %v, summary %+v; want parent %v, 3 unmodified", second.Snapshot.Parent, second.Snapshot.Summary, first.ID.Str())
	}
}

// TestRunPathsConflict: when another process locks the repository
// exclusively during the lock protocol's wait, the backup's lock is not
// confirmed and it writes no snapshot; it starts again, and then either
// waits for that lock (LockRetry) and succeeds, or fails with ErrLocked.
func TestRunPathsConflict(t *testing.T) {
	t.Run("the other lock stays", func(t *testing.T) {
		r, _ := repotest.New(t, 2, repo.Options{})
		var other format.ID
		loads := 0
		_, err := backup.RunPaths(t.Context(), r, []string{dataDir(t, "a")}, backup.PathOptions{Loaded: func() {
			loads++
			other = repotest.SaveLock(t, r, repotest.OtherExclusive())
		}})
		if !errors.Is(err, repo.ErrLocked) || loads != 1 {
			t.Fatalf("RunPaths: %v after %d loads, want ErrLocked after 1 (the second attempt's first check fails)", err, loads)
		}
		if n := snapshotCount(t, r); n != 0 {
			t.Fatalf("%d snapshots written under a lock that was not confirmed", n)
		}
		ids, err := r.List(t.Context(), backend.LockFile)
		if err != nil || len(ids) != 1 || ids[0] != other {
			t.Fatalf("locks left %v, %v; want only the other's", ids, err)
		}
	})
	t.Run("the other lock goes", func(t *testing.T) {
		r, _ := repotest.New(t, 2, repo.Options{LockRetry: 10 * time.Second})
		loads := 0
		res, err := backup.RunPaths(t.Context(), r, []string{dataDir(t, "a")}, backup.PathOptions{Loaded: func() {
			loads++
			if loads > 1 {
				return
			}
			id := repotest.SaveLock(t, r, repotest.OtherExclusive())
			time.AfterFunc(300*time.Millisecond, func() {
				_ = r.Backend().Remove(context.Background(), backend.Handle{Type: backend.LockFile, Name: id.String()})
			})
		}})
		if err != nil || loads != 2 {
			t.Fatalf("RunPaths: %v after %d loads, want success after 2", err, loads)
		}
		if n := snapshotCount(t, r); n != 1 || res.Snapshot.Summary.FilesNew != 1 {
			t.Fatalf("%d snapshots, summary %+v; want the second attempt's", n, res.Snapshot.Summary)
		}
		if n := lockCount(t, r); n != 0 {
			t.Fatalf("%d lock files left", n)
		}
	})
}

// TestRunVolumes: the volumes use case backs up under a shared lock of
// its own: beside an exclusive lock it fails with ErrLocked; otherwise it
// leaves no lock behind. An empty plan needs no Docker engine.
func TestRunVolumes(t *testing.T) {
	r, _ := repotest.New(t, 2, repo.Options{})
	m, err := volume.New(volume.Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	release := repotest.HoldLock(t, r, true)
	if _, err := backup.RunVolumes(t.Context(), m, r, &appplan.Plan{}, backup.VolumeOptions{}); !errors.Is(err, repo.ErrLocked) {
		t.Fatalf("RunVolumes beside an exclusive lock: %v, want ErrLocked", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	reports, err := backup.RunVolumes(t.Context(), m, r, &appplan.Plan{}, backup.VolumeOptions{})
	if err != nil || len(reports) != 0 {
		t.Fatalf("RunVolumes of an empty plan: %v, %v", reports, err)
	}
	if n := lockCount(t, r); n != 0 {
		t.Fatalf("%d lock files left", n)
	}
}
