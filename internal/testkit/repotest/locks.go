package repotest

import (
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
