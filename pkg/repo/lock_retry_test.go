package repo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestLockRetry: with Options.LockRetry, a conflicting lock is waited for
// until it goes away or the budget is spent; without it, locking fails at
// once; cancelling the context stops the wait; errors other than a
// conflicting lock are not retried.
func TestLockRetry(t *testing.T) {
	cases := []struct {
		name      string
		retry     time.Duration
		releaseIn time.Duration // 0: the other lock is never released
		cancelIn  time.Duration // 0: not cancelled
		garbage   bool          // an unreadable lock file instead of a real lock
		wantErr   error
		minTime   time.Duration
		maxTime   time.Duration
	}{
		{name: "no retry fails at once", retry: 0, wantErr: repo.ErrLocked, maxTime: time.Second},
		{name: "released while waiting", retry: 5 * time.Second, releaseIn: 500 * time.Millisecond,
			minTime: 500 * time.Millisecond, maxTime: 4 * time.Second},
		{name: "budget spent", retry: 800 * time.Millisecond, wantErr: repo.ErrLocked,
			minTime: 800 * time.Millisecond, maxTime: 3 * time.Second},
		{name: "cancelled while waiting", retry: time.Minute, cancelIn: 300 * time.Millisecond, wantErr: context.Canceled,
			minTime: 300 * time.Millisecond, maxTime: 3 * time.Second},
		{name: "unreadable lock is not retried", retry: time.Minute, garbage: true, maxTime: 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			holder, dir := newLocalRepo(t, 2, repo.Options{})
			var release func() error
			if tc.garbage {
				release = putGarbageLock(t, holder)
			} else {
				release = repotest.HoldLock(t, holder, true)
			}
			waiter := openWithOptions(t, dir, repo.Options{LockRetry: tc.retry})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			start := time.Now()
			if tc.cancelIn > 0 {
				timer := time.AfterFunc(tc.cancelIn, cancel)
				defer timer.Stop()
			}
			if tc.releaseIn > 0 {
				timer := time.AfterFunc(tc.releaseIn, func() { _ = release() })
				defer timer.Stop()
			} else {
				defer release()
			}
			err := waiter.WithLock(ctx, repo.LockMode{}, func(context.Context, *repo.Lock) error { return nil })
			took := time.Since(start)
			switch {
			case tc.garbage && (err == nil || errors.Is(err, repo.ErrLocked)):
				t.Fatalf("unreadable lock: %v, want an error that is not ErrLocked", err)
			case !tc.garbage && tc.wantErr == nil && err != nil:
				t.Fatalf("Lock: %v", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Lock: %v, want %v", err, tc.wantErr)
			case tc.wantErr == context.Canceled && !errors.Is(err, repo.ErrLocked):
				t.Fatalf("cancelled wait: %v should still name the lock in the way", err)
			}
			if took < tc.minTime || took > tc.maxTime {
				t.Fatalf("Lock took %v, want %v..%v", took, tc.minTime, tc.maxTime)
			}
		})
	}
}

// TestLockRetryNoLeftovers: failed attempts while waiting leave no lock
// file of the waiter behind.
func TestLockRetryNoLeftovers(t *testing.T) {
	holder, dir := newLocalRepo(t, 2, repo.Options{})
	repotest.HoldLock(t, holder, false)
	waiter := openWithOptions(t, dir, repo.Options{LockRetry: 600 * time.Millisecond})
	if err := waiter.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork); !errors.Is(err, repo.ErrLocked) {
		t.Fatalf("exclusive lock over a shared one: %v", err)
	}
	if ids, _ := holder.List(t.Context(), backend.LockFile); len(ids) != 1 {
		t.Fatalf("%d lock files, want only the holder's", len(ids))
	}
}

// noWork is work under a lock that does nothing.
func noWork(context.Context, *repo.Lock) error { return nil }

func openWithOptions(t *testing.T, dir string, opts repo.Options) *repo.Repository {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, password, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// putGarbageLock stores a lock file that cannot be decrypted and returns
// its removal.
func putGarbageLock(t *testing.T, r *repo.Repository) func() error {
	t.Helper()
	data := []byte("not a sealed lock document, just bytes that fail to decrypt")
	h := backend.Handle{Type: backend.LockFile, Name: format.Hash(data).String()}
	if err := r.Backend().Save(t.Context(), h, backend.NewByteReader(data)); err != nil {
		t.Fatal(err)
	}
	return func() error { return r.Backend().Remove(context.Background(), h) }
}
