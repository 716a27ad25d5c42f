package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
)

func snapshotCount(t *testing.T, r *repo.Repository) int {
	t.Helper()
	ids, err := r.List(t.Context(), backend.SnapshotFile)
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// TestPathsConfirm: a backup run in the lock protocol's wait writes its
// snapshot only once the lock is confirmed. When another process locks
// the repository exclusively at the same moment, the first attempt writes
// no snapshot and the backup is done again once that lock is gone.
func TestPathsConfirm(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "f"), []byte("content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ := repotest.New(t, 2, repo.Options{LockRetry: 10 * time.Second})
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}

	refused := errors.New("not confirmed")
	_, err := backup.Paths(t.Context(), r, []string{data}, nil, backup.PathOptions{
		Confirm: func(context.Context) error { return refused },
	})
	if !errors.Is(err, refused) || snapshotCount(t, r) != 0 {
		t.Fatalf("Paths with a refusing Confirm: %v, %d snapshots; want the refusal and none", err, snapshotCount(t, r))
	}

	attempts, confirmedAt := 0, []int{}
	var res backup.PathResult
	err = r.WithLock(t.Context(), repo.LockMode{Early: true}, func(ctx context.Context, l *repo.Lock) error {
		attempts++
		if attempts == 1 {
			id := repotest.SaveLock(t, r, repotest.OtherExclusive())
			time.AfterFunc(300*time.Millisecond, func() {
				_ = r.Backend().Remove(context.Background(), backend.Handle{Type: backend.LockFile, Name: id.String()})
			})
		}
		var err error
		res, err = backup.Paths(ctx, r, []string{data}, nil, backup.PathOptions{Confirm: func(ctx context.Context) error {
			err := l.Confirmed(ctx)
			if err == nil {
				confirmedAt = append(confirmedAt, attempts)
			}
			return err
		}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || len(confirmedAt) != 1 || confirmedAt[0] != 2 {
		t.Fatalf("%d attempts, confirmed in %v; want 2 attempts, the second confirmed", attempts, confirmedAt)
	}
	if n := snapshotCount(t, r); n != 1 {
		t.Fatalf("%d snapshots, want the second attempt's only", n)
	}
	if res.Snapshot == nil || res.Snapshot.Summary.FilesNew != 1 {
		t.Fatalf("result %+v", res)
	}
}
