package local_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
)

// A repository on a read-only mount refuses deletes, and its files stay
// readable. The mount needs root, as CI has. (A directory without write
// permission, the case that removing a missing name would not show, needs
// a user other than root: not tested.)
func TestCheckDeletesReadOnlyMount(t *testing.T) {
	testenv.RequireOrSkip(t, os.Geteuid() == 0, "a read-only bind mount needs root")
	dir := filepath.Join(t.TempDir(), "repo")
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	h := backendtest.Save(t, be, backend.SnapshotFile, []byte("a snapshot"))
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
	err = backend.CheckDeletes(t.Context(), be)
	if !errors.Is(err, backend.ErrDeleteRefused) {
		t.Fatalf("CheckDeletes on a read-only mount: %v, want ErrDeleteRefused", err)
	}
	t.Logf("CheckDeletes: %v", err)
	if _, err := be.Stat(t.Context(), h); err != nil {
		t.Errorf("stat %v: %v", h, err)
	}
}

// A directory without write permission refuses deletes, although
// removing a missing name there answers "no such file": the test runs
// itself again as nobody against a repository it may read but not write.
func TestCheckDeletesReadOnlyDir(t *testing.T) {
	if dir := os.Getenv("DRYDOCK_TEST_READONLY_REPO"); dir != "" {
		be, err := local.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := be.Remove(t.Context(), backend.Handle{Type: backend.SnapshotFile, Name: backendtest.ID([]byte("missing"))}); err != nil {
			t.Fatalf("remove of a missing name: %v, want nil (the case the check is for)", err)
		}
		if err := backend.CheckDeletes(t.Context(), be); !errors.Is(err, backend.ErrDeleteRefused) {
			t.Fatalf("CheckDeletes: %v, want ErrDeleteRefused", err)
		}
		return
	}
	testenv.RequireOrSkip(t, os.Geteuid() == 0, "running as another user needs root")
	base, err := os.MkdirTemp("", "drydock-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	dir := filepath.Join(base, "repo")
	if _, err := local.Create(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "test.bin")
	copyFile(t, os.Args[0], bin)
	err = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o444)
		if d.IsDir() || p == bin {
			mode = 0o555
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestCheckDeletesReadOnlyDir$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DRYDOCK_TEST_READONLY_REPO="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	t.Logf("as nobody:\n%s", out)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
