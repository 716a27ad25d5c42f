//go:build linux

package repo_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// The lock's timing (docs/format.md §9) on a fake clock: each test runs in
// a synctest bubble, where time moves only when every goroutine of the
// bubble waits, so minutes pass at once and exactly. The repositories are
// of version 1: compression's encoder pool, made by whichever bubble
// compresses first, could not be used from another.

// TestLockRefreshTiming: the lock file is replaced every 5 minutes (a new
// file with the current time, the old one removed), not before.
func TestLockRefreshTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := newLocalRepo(t, 1, repo.Options{})
		err := r.WithLock(t.Context(), repo.LockMode{}, func(ctx context.Context, _ *repo.Lock) error {
			prev := onlyLock(t, r)
			prevDoc := loadLock(t, r, prev)
			time.Sleep(5*time.Minute - time.Second) // 200 ms of the protocol have passed already
			synctest.Wait()
			if id := onlyLock(t, r); id != prev {
				t.Fatal("the lock was refreshed before 5 minutes")
			}
			for i := range 3 {
				time.Sleep(time.Second)
				synctest.Wait()
				id := onlyLock(t, r)
				doc := loadLock(t, r, id)
				if id == prev || doc.Time.Sub(prevDoc.Time) != 5*time.Minute {
					t.Fatalf("refresh %d: lock %s of %v, previous %s of %v: want a new file 5 minutes younger",
						i+1, id.Str(), doc.Time, prev.Str(), prevDoc.Time)
				}
				prev, prevDoc = id, doc
				time.Sleep(5*time.Minute - time.Second)
			}
			return ctx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestLockLostAfterFailedRefreshes: refreshes that keep failing cancel the
// lock's context, with the reason, once the lock was last refreshed more
// than 22.5 minutes ago: at the refresh of minute 25, not before.
func TestLockLostAfterFailedRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, dir := newLocalRepo(t, 1, repo.Options{})
		be, err := local.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		fb := &failingLockSave{Backend: be}
		r, err := repo.Open(t.Context(), fb, password, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = r.WithLock(t.Context(), repo.LockMode{}, func(ctx context.Context, _ *repo.Lock) error {
			fb.on.Store(true)
			defer fb.on.Store(false)
			time.Sleep(25*time.Minute - time.Second) // four refreshes failed
			synctest.Wait()
			if ctx.Err() != nil {
				t.Fatalf("the lock was given up before the refresh of minute 25: %v", context.Cause(ctx))
			}
			time.Sleep(time.Second)
			synctest.Wait()
			cause := context.Cause(ctx)
			if ctx.Err() == nil || !strings.Contains(cause.Error(), "lock lost") || !errors.Is(cause, errLockSave) {
				t.Fatalf("after 25 minutes of failed refreshes: context %v, cause %v; want it cancelled as lost", ctx.Err(), cause)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ids := lockIDs(t, r); len(ids) != 0 {
			t.Fatalf("locks left: %v", ids)
		}
	})
}

// TestLockRecheckAfter200ms: the protocol's second check runs 200 ms
// after our lock file is written, and sees a lock written just before.
func TestLockRecheckAfter200ms(t *testing.T) {
	early := repo.LockMode{Early: true}
	t.Run("confirmed at 200 ms", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, _ := newLocalRepo(t, 1, repo.Options{})
			start := time.Now()
			err := r.WithLock(t.Context(), early, func(ctx context.Context, l *repo.Lock) error {
				err := l.Confirmed(ctx)
				if d := time.Since(start); d != 200*time.Millisecond {
					t.Errorf("confirmed after %v, want 200ms", d)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("a lock written at 199 ms", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, _ := newLocalRepo(t, 1, repo.Options{})
			runs := 0
			err := r.WithLock(t.Context(), early, func(ctx context.Context, l *repo.Lock) error {
				runs++
				time.Sleep(199 * time.Millisecond)
				repotest.SaveLock(t, r, repotest.OtherExclusive())
				return l.Confirmed(ctx)
			})
			// The second attempt's first check finds it too.
			if !errors.Is(err, repo.ErrLocked) || runs != 1 {
				t.Fatalf("WithLock: %v after %d runs, want ErrLocked after 1", err, runs)
			}
		})
	})
}

// TestLockNoRecheckWait: with NoRecheckWait a shared lock's second check
// runs as soon as the lock is written; an exclusive lock waits the 200 ms
// whatever the mode says.
func TestLockNoRecheckWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode repo.LockMode
		want time.Duration
	}{
		{"shared", repo.LockMode{Early: true, NoRecheckWait: true}, 0},
		{"exclusive", repo.LockMode{Early: true, Exclusive: true, NoRecheckWait: true}, 200 * time.Millisecond},
		{"shared without", repo.LockMode{Early: true}, 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, _ := newLocalRepo(t, 1, repo.Options{})
				start := time.Now()
				err := r.WithLock(t.Context(), tc.mode, func(ctx context.Context, l *repo.Lock) error {
					err := l.Confirmed(ctx)
					if d := time.Since(start); d != tc.want {
						t.Errorf("confirmed after %v, want %v", d, tc.want)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestLockRetryWaits: while a conflicting lock stays, attempts are 5 s
// apart at first, the wait doubling up to 60 s, the last one cut to what
// is left of LockRetry; then the LockedError is returned.
func TestLockRetryWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, dir := newLocalRepo(t, 1, repo.Options{})
		waits := &waitLog{}
		r := openWithOptions(t, dir, repo.Options{LockRetry: 3 * time.Minute, Logger: slog.New(waits)})
		repotest.SaveLock(t, r, repotest.OtherExclusive())
		start := time.Now()
		err := r.WithLock(t.Context(), repo.LockMode{}, noWork)
		if !errors.As(err, new(*repo.LockedError)) {
			t.Fatalf("WithLock beside an exclusive lock: %v, want a LockedError", err)
		}
		if d := time.Since(start); d != 3*time.Minute {
			t.Errorf("gave up after %v, want LockRetry, 3m0s", d)
		}
		want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, 45 * time.Second}
		if got := waits.get(); !slices.Equal(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
}

func onlyLock(t *testing.T, r *repo.Repository) format.ID {
	t.Helper()
	ids := lockIDs(t, r)
	if len(ids) != 1 {
		t.Fatalf("lock files %v, want one", ids)
	}
	return ids[0]
}

var errLockSave = errors.New("cannot write lock files (test)")

// failingLockSave refuses to store lock files while on.
type failingLockSave struct {
	backend.Backend
	on atomic.Bool
}

func (f *failingLockSave) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if f.on.Load() && h.Type == backend.LockFile {
		return errLockSave
	}
	return f.Backend.Save(ctx, h, rd)
}

// waitLog is a slog.Handler that keeps the retry_in of each log record.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitLog) Enabled(context.Context, slog.Level) bool { return true }

func (w *waitLog) Handle(_ context.Context, rec slog.Record) error {
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry_in" {
			w.mu.Lock()
			w.waits = append(w.waits, a.Value.Duration())
			w.mu.Unlock()
		}
		return true
	})
	return nil
}

func (w *waitLog) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *waitLog) WithGroup(string) slog.Handler      { return w }

func (w *waitLog) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.waits)
}
