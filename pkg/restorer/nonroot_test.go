//go:build linux

package restorer_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/internal/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// nobody is the user a root test runs its non-root half as.
const nobody = 65534

// asNobody runs the test named name again, in a copy of this test binary,
// as user and group nobody, and fails t with its output if it fails. It
// reports whether it did: false means the caller is not root, so it is
// already the non-root half and goes on.
func asNobody(t *testing.T, name string) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	// The test binary sits in a directory only root may enter; the child
	// gets a copy, and a home and TMPDIR of its own.
	dir, err := os.MkdirTemp("", "restorer-nonroot-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o755))
	self, err := os.Executable()
	must(t, err)
	bin := filepath.Join(dir, "restorer.test")
	copyFile(t, self, bin)
	home := filepath.Join(dir, "home")
	must(t, os.Mkdir(home, 0o700))
	must(t, os.Chown(home, nobody, nobody))
	cmd := exec.CommandContext(t.Context(), bin, "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = []string{"HOME=" + home, "TMPDIR=" + home, "PATH=/usr/bin:/bin"}
	cmd.Dir = home
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("%s as uid %d: %v\n%s", name, nobody, err, out)
	}
	t.Logf("as uid %d:\n%s", nobody, out)
	return true
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	must(t, err)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	must(t, err)
	_, err = io.Copy(out, in)
	must(t, err)
	must(t, out.Close())
}

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
	if asNobody(t, "TestXattrsNotPermittedWithoutRoot") {
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
