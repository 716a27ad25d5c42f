//go:build linux

package archiver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestXattrChangeSeenWithParent: an extended attribute set or removed on a
// file and a directory whose content did not change reaches the next
// snapshot, although unchanged entries take their attributes from the
// parent (fsnode.FromLstatSince).
func TestXattrChangeSeenWithParent(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	f, d := filepath.Join(src, "f"), filepath.Join(src, "d")
	if err := errors.Join(os.WriteFile(f, []byte("x"), 0o644), os.Mkdir(d, 0o755)); err != nil {
		t.Fatal(err)
	}
	err := unix.Setxattr(f, "user.drydock-test", []byte("1"), 0)
	testenv.RequireOrSkip(t, !errors.Is(err, unix.ENOTSUP), "user xattrs are not supported in %s (TMPDIR on another filesystem)", src)
	if err != nil {
		t.Fatal(err)
	}
	xattrs := func(root *Result, path string) string {
		t.Helper()
		var s string
		for _, xa := range node(t, r, root.Tree, path).ExtendedAttributes {
			s += xa.Name + "=" + string(xa.Value) + ";"
		}
		return s
	}
	first := save(t, r, []string{src}, nil, Options{})
	if got := xattrs(&first, f); got != "user.drydock-test=1;" {
		t.Fatalf("first snapshot: xattrs of f %q", got)
	}
	if err := errors.Join(unix.Setxattr(d, "user.drydock-test", []byte("2"), 0), unix.Removexattr(f, "user.drydock-test")); err != nil {
		t.Fatal(err)
	}
	second := save(t, r, []string{src}, &first.Tree, Options{})
	if got := xattrs(&second, f); got != "" {
		t.Errorf("removed xattr still in the snapshot: %q", got)
	}
	if got := xattrs(&second, d); got != "user.drydock-test=2;" {
		t.Errorf("xattr set on the directory: %q", got)
	}
}
