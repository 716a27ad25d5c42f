package testenv

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Nobody is the user and group a root test runs its non-root half as.
const Nobody = 65534

// AsNobody runs the test named name (the caller) again, in a copy of this
// test binary, as user and group Nobody, and fails t with its output if it
// fails. It reports whether it did: false means the test does not run as
// root, so it is already the non-root half and goes on. The tests run as
// root; this is how they see what a user without root sees.
func AsNobody(t *testing.T, name string) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	// The test binary sits in a directory only root may enter: the child
	// gets a copy, and a home and TMPDIR of its own.
	dir, err := os.MkdirTemp("", "testenv-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	home := filepath.Join(dir, "home")
	self, err := os.Executable()
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err == nil {
		err = copyExecutable(self, filepath.Join(dir, filepath.Base(self)))
	}
	if err == nil {
		err = os.Mkdir(home, 0o700)
	}
	if err == nil {
		err = os.Chown(home, Nobody, Nobody)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), filepath.Join(dir, filepath.Base(self)), "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = []string{"HOME=" + home, "TMPDIR=" + home, "PATH=" + os.Getenv("PATH")}
	cmd.Dir = home
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: Nobody, Gid: Nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("%s as uid %d: %v\n%s", name, Nobody, err, out)
	}
	t.Logf("as uid %d:\n%s", Nobody, out)
	return true
}

func copyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
