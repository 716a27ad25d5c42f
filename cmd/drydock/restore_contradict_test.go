package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestRestoreSnapshotThatContradictsItself: a snapshot whose two names of
// one inode have different content, and whose file claims 1 TiB for 5
// bytes: restore gives each name its own content, keeps the 5 bytes as
// huge.drydock-partial, names both entries and exits 1; verify exits 1.
func TestRestoreSnapshotThatContradictsItself(t *testing.T) {
	parent := t.TempDir()
	repoDir := filepath.Join(parent, "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	r := c.openRepo(repoDir)
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		link := func(name, data string) string {
			return c.Node(format.Node{Name: name, Type: format.NodeFile, Mode: 0o644, Size: uint64(len(data)), Links: 2,
				DeviceID: 1, Inode: 9, Content: format.IDs{c.Blob(data)}})
		}
		return c.Tree(link("a", "one"), link("b", "two"),
			c.Node(format.Node{Name: "huge", Type: format.NodeFile, Mode: 0o644, Size: 1 << 40, Content: format.IDs{c.Blob("hello")}}))
	})
	if _, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: time.Now(), Tree: &root, Paths: []string{"/crafted"}, Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(parent, "target")
	out, errOut, code := c.run("restore", "latest", "--target", target)
	if code != exitFailure || !strings.Contains(errOut, "error: /b: not hardlinked to /a") ||
		!strings.Contains(errOut, "error: /huge: the snapshot says the file has 1099511627776 bytes, its content has 5") {
		t.Errorf("restore: exit %d\n%s%s", code, out, errOut)
	}
	for name, want := range map[string]string{"a": "one", "b": "two", "huge.drydock-partial": "hello"} {
		if got, err := os.ReadFile(filepath.Join(target, name)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(target, "huge")); !os.IsNotExist(err) {
		t.Errorf("huge under its real name: %v", err)
	}
	out, errOut, code = c.run("verify", "--scratch", filepath.Join(parent, "scratch"))
	if code != exitFailure || !strings.Contains(errOut, "2 entries could not be restored") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRestoreWithoutRootWarns: as a user other than root, restore of a
// file with a security.capability xattr keeps it under its real name,
// warns once naming the xattr, and exits 0. (Run as root, the test runs
// itself as nobody.)
func TestRestoreWithoutRootWarns(t *testing.T) {
	if testenv.AsNobody(t, "TestRestoreWithoutRootWarns") {
		return
	}
	parent := t.TempDir()
	repoDir := filepath.Join(parent, "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	r := c.openRepo(repoDir)
	capability := make([]byte, 20) // revision 2, nothing permitted: well formed
	binary.LittleEndian.PutUint32(capability, 0x02000000)
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		return c.Tree(c.Node(format.Node{Name: "bin", Type: format.NodeFile, Mode: 0o755, Size: 7, Content: format.IDs{c.Blob("program")},
			UID: uint32(os.Geteuid()), GID: uint32(os.Getegid()),
			ExtendedAttributes: []format.ExtendedAttribute{{Name: "security.capability", Value: capability}}}))
	})
	if _, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: time.Now(), Tree: &root, Paths: []string{"/crafted"}, Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(parent, "target")
	out, errOut, code := c.run("restore", "latest", "--target", target)
	if code != 0 || strings.Count(errOut, "warning: /bin: ") != 1 || !strings.Contains(errOut, "security.capability") || strings.Contains(errOut, "error") {
		t.Errorf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if got, err := os.ReadFile(filepath.Join(target, "bin")); err != nil || string(got) != "program" {
		t.Errorf("bin: %q, %v", got, err)
	}
}
