package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
)

func newInstance(t *testing.T) backendtest.Instance {
	dir := t.TempDir()
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return backendtest.Instance{
		Backend: be,
		PutRaw: func(rel string, data []byte) error {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return err
			}
			return os.WriteFile(p, data, 0o600)
		},
	}
}

func TestConformance(t *testing.T) {
	backendtest.Run(t, newInstance)
}

// Create makes the five directories and all 256 data subdirectories, 0700.
func TestCreateLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := local.Create(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	want := []string{"data", "index", "keys", "locks", "snapshots"}
	for _, sub := range backend.PackSubdirs() {
		want = append(want, "data/"+sub)
	}
	for _, d := range want {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err != nil {
			t.Fatalf("missing %s: %v", d, err)
		}
		if !fi.IsDir() || fi.Mode().Perm()&^0o700 != 0 {
			t.Errorf("%s: mode %v, want a directory with at most 0700", d, fi.Mode())
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "data"))
	if len(entries) != 256 {
		t.Errorf("data/ has %d entries, want 256", len(entries))
	}
}

// Saved files end up read-only at the restic path, with no temp files left.
func TestSaveWritesRestic(t *testing.T) {
	dir := t.TempDir()
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	data, id := backendtest.RandomData(t, 100)
	backendtest.Save(t, be, backend.PackFile, data)
	p := filepath.Join(dir, "data", id[:2], id)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("pack not at %s: %v", p, err)
	}
	if fi.Mode().Perm() != 0o400 {
		t.Errorf("pack mode %v, want 0400", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("data/%s holds %d entries, want only the pack (no temp files)", id[:2], len(entries))
	}
	backendtest.Save(t, be, backend.ConfigFile, []byte("cfg"))
	if _, err := os.Stat(filepath.Join(dir, "config")); err != nil {
		t.Errorf("config not at repository root: %v", err)
	}
}

// A missing data/xx directory is recreated on Save.
func TestSaveRecreatesMissingDir(t *testing.T) {
	dir := t.TempDir()
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	data, id := backendtest.RandomData(t, 10)
	if err := os.RemoveAll(filepath.Join(dir, "data", id[:2])); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "snapshots")); err != nil {
		t.Fatal(err)
	}
	backendtest.Save(t, be, backend.PackFile, data)
	backendtest.Save(t, be, backend.SnapshotFile, data)
	if got := backendtest.ListNames(t, be, backend.PackFile); got[id] != 10 {
		t.Fatalf("pack not listed after recreating its directory: %v", got)
	}
}

// With a group-readable config (restic's shared-repository convention), new
// directories get 0770 and files 0440.
func TestGroupModes(t *testing.T) {
	dir := t.TempDir()
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	backendtest.Save(t, be, backend.ConfigFile, []byte("cfg"))
	if err := os.Chmod(filepath.Join(dir, "config"), 0o440); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}
	be, err = local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	data, id := backendtest.RandomData(t, 10)
	backendtest.Save(t, be, backend.IndexFile, data)
	fi, err := os.Stat(filepath.Join(dir, "index", id))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o440 {
		t.Errorf("file mode %v, want 0440", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	// 0770 before the umask; the usual umasks (002, 022, 027) keep group r-x.
	if di.Mode().Perm()&0o050 != 0o050 {
		t.Errorf("dir mode %v, want group access (0770 minus umask)", di.Mode().Perm())
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := local.Open(context.Background(), filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, backend.ErrLocationMissing) {
		t.Fatalf("open missing dir: got %v, want ErrLocationMissing", err)
	}
	if !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %q does not name the directory", err)
	}
}

// A write into a read-only directory fails with ErrPermission and leaves
// nothing behind.
func TestSavePermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "keys"), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "keys"), 0o700) })
	data, id := backendtest.RandomData(t, 10)
	err = be.Save(t.Context(), backend.Handle{Type: backend.KeyFile, Name: id}, backend.NewByteReader(data))
	if !errors.Is(err, backend.ErrPermission) {
		t.Fatalf("save into read-only dir: got %v, want ErrPermission", err)
	}
}
