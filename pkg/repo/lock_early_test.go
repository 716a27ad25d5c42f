package repo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestLockEarly: an Early lock runs its work before the protocol's wait is
// over, and Confirmed returns only once the second check has passed; work
// that runs in the wait still sees a conflicting lock written just after
// our first check.
func TestLockEarly(t *testing.T) {
	early := repo.LockMode{Early: true}
	t.Run("confirmed after the wait", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		start := time.Now()
		err := r.WithLock(t.Context(), early, func(lctx context.Context, l *repo.Lock) error {
			if d := time.Since(start); d >= 200*time.Millisecond {
				t.Fatalf("the work started after %v: it must not wait for the second check", d)
			}
			if n := len(lockIDs(t, r)); n != 1 {
				t.Fatalf("%d lock files before the wait is over, want ours", n)
			}
			if err := l.Confirmed(t.Context()); err != nil {
				t.Fatalf("Confirmed: %v", err)
			}
			if d := time.Since(start); d < 200*time.Millisecond {
				t.Fatalf("confirmed after %v, before the protocol's 200 ms wait", d)
			}
			if lctx.Err() != nil {
				t.Fatalf("a confirmed lock's context is done: %v", context.Cause(lctx))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a lock written in the wait wins", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		var other format.ID
		runs := 0
		err := r.WithLock(t.Context(), early, func(lctx context.Context, l *repo.Lock) error {
			runs++
			other = repotest.SaveLock(t, r, repotest.OtherExclusive())
			err := l.Confirmed(t.Context())
			if !errors.Is(err, repo.ErrLocked) {
				t.Fatalf("Confirmed with an exclusive lock written in the wait: %v, want ErrLocked", err)
			}
			if !errors.Is(context.Cause(lctx), repo.ErrLocked) {
				t.Fatalf("the work's context was not cancelled with the reason: %v", context.Cause(lctx))
			}
			return err
		})
		// The second attempt's first check finds the other lock.
		if !errors.Is(err, repo.ErrLocked) || runs != 1 {
			t.Fatalf("WithLock: %v after %d runs, want ErrLocked after 1", err, runs)
		}
		if ids := lockIDs(t, r); len(ids) != 1 || ids[0] != other {
			t.Fatalf("locks left: %v, want only the other's %v", ids, other)
		}
	})
	t.Run("Load panics", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not reach the caller")
				}
			}()
			_ = r.WithLock(t.Context(), repo.LockMode{Load: func(context.Context) error { panic("boom") }},
				func(context.Context, *repo.Lock) error { return nil })
		}()
		if n := len(lockIDs(t, r)); n != 0 {
			t.Fatalf("%d lock files left after a panic", n)
		}
	})
	t.Run("unlocked before the check", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		var lock *repo.Lock
		err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true, Early: true}, func(_ context.Context, l *repo.Lock) error {
			lock = l
			return nil // committed nothing: no need to wait for the check
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := lock.Confirmed(t.Context()); err == nil {
			t.Fatal("a lock released before its second check reports itself confirmed")
		}
		if n := len(lockIDs(t, r)); n != 0 {
			t.Fatalf("%d lock files left", n)
		}
	})
}

// TestWithLockEarly: when an Early lock's second check fails, the work is
// discarded and done once more under a new lock, which waits (LockRetry) for the
// lock that appeared; a failing check that is not a conflict is returned
// as it is; fn's own error comes back when the lock was fine.
func TestWithLockEarly(t *testing.T) {
	t.Run("started again after a conflict", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{LockRetry: 10 * time.Second})
		var runs []bool // per run: its lock was confirmed
		var other format.ID
		err := r.WithLock(t.Context(), repo.LockMode{Early: true}, func(ctx context.Context, l *repo.Lock) error {
			if len(runs) == 0 {
				other = repotest.SaveLock(t, r, repotest.OtherExclusive())
				time.AfterFunc(300*time.Millisecond, func() {
					_ = r.Backend().Remove(context.Background(), backend.Handle{Type: backend.LockFile, Name: other.String()})
				})
			}
			err := l.Confirmed(ctx)
			runs = append(runs, err == nil)
			if err != nil && ctx.Err() == nil {
				t.Error("the lock's context lives on after a failed check")
			}
			return err
		})
		if err != nil {
			t.Fatalf("WithLock: %v", err)
		}
		if len(runs) != 2 || runs[0] || !runs[1] {
			t.Fatalf("runs (confirmed?) %v, want [false true]", runs)
		}
		if n := len(lockIDs(t, r)); n != 0 {
			t.Fatalf("%d lock files left", n)
		}
	})
	t.Run("fn's error", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		want := errors.New("walk failed")
		err := r.WithLock(t.Context(), repo.LockMode{Early: true}, func(context.Context, *repo.Lock) error { return want })
		if !errors.Is(err, want) {
			t.Fatalf("WithLock: %v, want fn's error", err)
		}
	})
	t.Run("two conflicts", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		runs := 0
		err := r.WithLock(t.Context(), repo.LockMode{Early: true}, func(ctx context.Context, l *repo.Lock) error {
			runs++
			id := repotest.SaveLock(t, r, repotest.OtherExclusive())
			defer r.Backend().Remove(context.Background(), backend.Handle{Type: backend.LockFile, Name: id.String()})
			return l.Confirmed(ctx)
		})
		if !errors.Is(err, repo.ErrLocked) || runs != 2 {
			t.Fatalf("WithLock: %v after %d runs, want ErrLocked after 2", err, runs)
		}
	})
	t.Run("fn panics", func(t *testing.T) {
		r, _ := newLocalRepo(t, 2, repo.Options{})
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not reach the caller")
				}
			}()
			_ = r.WithLock(t.Context(), repo.LockMode{Early: true}, func(context.Context, *repo.Lock) error { panic("boom") })
		}()
		if n := len(lockIDs(t, r)); n != 0 {
			t.Fatalf("%d lock files left after a panic: it would be refreshed forever", n)
		}
	})
	t.Run("the check cannot look", func(t *testing.T) {
		r, dir := newLocalRepo(t, 2, repo.Options{})
		runs := 0
		err := r.WithLock(t.Context(), repo.LockMode{Early: true}, func(ctx context.Context, l *repo.Lock) error {
			runs++
			// A file where the lock directory was: listing it fails.
			locks := filepath.Join(dir, "locks")
			if err := os.Rename(locks, locks+".away"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(locks, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := errors.Join(os.Remove(locks), os.Rename(locks+".away", locks)); err != nil {
					t.Error(err)
				}
			}()
			return l.Confirmed(ctx)
		})
		if err == nil || errors.Is(err, repo.ErrLocked) || runs != 1 {
			t.Fatalf("WithLock: %v after %d runs, want the listing's error after 1", err, runs)
		}
	})
}
