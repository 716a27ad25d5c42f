package backendtest

import (
	"context"
	"errors"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// AppendOnly checks be, a backend whose credential may not delete outside
// locks/: CheckDeletes refuses with ErrDeleteRefused and leaves nothing
// behind, a saved snapshot cannot be removed, and a lock file can be saved
// and removed (drydock's lock release).
func AppendOnly(t *testing.T, be backend.Backend) {
	t.Helper()
	ctx := context.Background()
	sn := Save(t, be, backend.SnapshotFile, []byte("a snapshot"))
	err := backend.CheckDeletes(ctx, be)
	if !errors.Is(err, backend.ErrDeleteRefused) || !errors.Is(err, backend.ErrPermission) {
		t.Fatalf("CheckDeletes: %v, want ErrDeleteRefused wrapping the server's ErrPermission", err)
	}
	t.Logf("CheckDeletes: %v", err)
	if err := be.Remove(ctx, sn); !errors.Is(err, backend.ErrPermission) {
		t.Errorf("remove %v: %v, want ErrPermission", sn, err)
	}
	lock := Save(t, be, backend.LockFile, []byte("a lock"))
	if err := be.Remove(ctx, lock); err != nil {
		t.Errorf("remove lock %v: %v", lock, err)
	}
	onlyFiles(t, be, map[backend.FileType]string{backend.SnapshotFile: sn.Name})
}

// DeletesAllowed checks that CheckDeletes allows deletes on be and leaves
// nothing behind.
func DeletesAllowed(t *testing.T, be backend.Backend) {
	t.Helper()
	if err := backend.CheckDeletes(context.Background(), be); err != nil {
		t.Fatalf("CheckDeletes: %v, want nil", err)
	}
	onlyFiles(t, be, nil)
}

// onlyFiles fails t unless be holds exactly the files of want (one name
// per type at most).
func onlyFiles(t *testing.T, be backend.Backend, want map[backend.FileType]string) {
	t.Helper()
	for _, ft := range backend.ListableTypes {
		got := ListNames(t, be, ft)
		n := 0
		if name, ok := want[ft]; ok {
			if _, ok := got[name]; !ok {
				t.Errorf("%s %s is gone", ft, name)
			}
			n = 1
		}
		if len(got) != n {
			t.Errorf("%s files: %v, want %d", ft, sorted(got), n)
		}
	}
}
