package repotest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// SaveLock stores a lock file as another process would have, and returns
// its ID.
func SaveLock(t testing.TB, r *repo.Repository, l format.Lock) format.ID {
	t.Helper()
	raw, err := format.EncodeLock(&l)
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.SaveUnpacked(t.Context(), backend.LockFile, raw)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// OtherExclusive is the lock another host's prune writes, made now.
func OtherExclusive() format.Lock {
	return format.Lock{Time: time.Now(), Exclusive: true, Hostname: "other-host", Username: "u", PID: 4242}
}

// HoldLock takes a lock on r, exclusive or shared, and holds it, as
// another process would, until release is called (at the latest when the
// test ends). release returns what WithLock returned.
func HoldLock(t testing.TB, r *repo.Repository, exclusive bool) (release func() error) {
	t.Helper()
	held, stop, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- r.WithLock(t.Context(), repo.LockMode{Exclusive: exclusive}, func(context.Context, *repo.Lock) error {
			close(held)
			<-stop
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("hold a lock: %v", err)
	}
	var once sync.Once
	var err error
	release = func() error {
		once.Do(func() {
			close(stop)
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = release() })
	return release
}
