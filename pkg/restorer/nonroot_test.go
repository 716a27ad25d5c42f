//go:build linux

package restorer_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// capNetBindService is a valid security.capability value (revision 2,
// cap_net_bind_service permitted): the kernel checks its form before the
// caller's privilege, so a malformed one would fail with EINVAL instead.
func capNetBindService() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000000)
	binary.LittleEndian.PutUint32(b[4:], 1<<unix.CAP_NET_BIND_SERVICE)
	return b
}

// TestXattrsNotPermittedWithoutRoot: restoring as a user other than root,
// a file, a directory and a symlink with xattrs only root may set
// (security.capability, trusted.*) keep their real names and content,
// with their other metadata, and one warning each naming the xattrs; the
// restore succeeds. (Run as root, the test runs itself as nobody.)
func TestXattrsNotPermittedWithoutRoot(t *testing.T) {
	if testenv.AsNobody(t, "TestXattrsNotPermittedWithoutRoot") {
		return
	}
	r, _ := repotest.New(t, 0, repo.Options{})
	priv := []format.ExtendedAttribute{{Name: "security.capability", Value: capNetBindService()}, {Name: "trusted.k", Value: []byte("v")}}
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
		sub := c.Tree(c.File("inner", 0o644, "inside"))
		return c.Tree(
			c.Node(format.Node{Name: "bin", Type: format.NodeFile, Mode: 0o755, UID: uid, GID: gid, Size: 7,
				Content: format.IDs{c.Blob("program")}, ExtendedAttributes: priv}),
			c.Node(format.Node{Name: "dir", Type: format.NodeDir, Mode: os.ModeDir | 0o750, UID: uid, GID: gid, Subtree: sub,
				ExtendedAttributes: priv[1:]}),
			c.Node(format.Node{Name: "link", Type: format.NodeSymlink, Mode: os.ModeSymlink | 0o777, UID: uid, GID: gid,
				LinkTarget: "bin", ExtendedAttributes: priv[1:]}))
	})
	target := t.TempDir()
	var failed, warned []restorer.Failure
	st, err := restorer.Restore(t.Context(), r, root, target, restorer.Options{
		Failed: func(f restorer.Failure) { failed = append(failed, f) },
		Warned: func(f restorer.Failure) { warned = append(warned, f) }})
	if err != nil || len(failed) != 0 {
		t.Fatalf("restore: %v, failures %v", err, failed)
	}
	if st.Files != 2 || st.Dirs != 1 || st.Other != 1 {
		t.Errorf("stats %+v", st)
	}
	want := map[string]string{"/bin": "security.capability, trusted.k", "/dir": "trusted.k", "/link": "trusted.k"}
	for _, w := range warned {
		if names, ok := want[w.Path]; !ok || !strings.Contains(w.Err.Error(), names) {
			t.Errorf("warning %v", w)
		}
		delete(want, w.Path)
	}
	if len(warned) != 3 || len(want) != 0 {
		t.Errorf("warnings %v, want one per entry, missing %v", warned, want)
	}
	if got, err := os.ReadFile(filepath.Join(target, "bin")); err != nil || string(got) != "program" {
		t.Errorf("bin: %q, %v", got, err)
	}
	for name, mode := range map[string]os.FileMode{"bin": 0o755, "dir": os.ModeDir | 0o750} {
		fi, err := os.Lstat(filepath.Join(target, name))
		if err != nil || fi.Mode() != mode || !fi.ModTime().Equal(repotest.CraftTime) {
			t.Errorf("%s: %v, want mode %v and the snapshot's time", name, fi, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(target, "bin"+restorer.PartialSuffix)); !os.IsNotExist(err) {
		t.Errorf("partial file: %v", err)
	}
}
