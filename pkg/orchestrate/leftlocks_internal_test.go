package orchestrate

import (
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// TestLeftLocksPerRepository: every handle the daemon opens of one
// repository notes the lock files it could not remove in the same place,
// so that the repository's next job removes them even on a new handle
// (pkg/repo's TestLeftLocksRemovedByNextLock); other repositories keep
// their own.
func TestLeftLocksPerRepository(t *testing.T) {
	d := &Daemon{leftLocks: map[string]*repo.LeftLocks{}}
	main := d.leftLocksOf("main")
	if main == nil || d.leftLocksOf("main") != main {
		t.Fatal("two handles of one repository note their left locks in different places")
	}
	if d.leftLocksOf("other") == main {
		t.Fatal("two repositories share their left locks")
	}
}
