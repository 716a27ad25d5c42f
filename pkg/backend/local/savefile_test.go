package local_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
)

// TestSaveFile: a file from CreateFile becomes the pack under its name,
// read-only, replacing a damaged copy; a missing data subdirectory is
// recreated; a cancelled save leaves nothing; no temporary name survives.
func TestSaveFile(t *testing.T) {
	dir := t.TempDir()
	b, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	write := func(data []byte) *os.File {
		t.Helper()
		f, err := b.CreateFile()
		if err != nil {
			t.Skipf("no O_TMPFILE here: %v", err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		return f
	}
	load := func(h backend.Handle) []byte {
		t.Helper()
		var got []byte
		if err := b.Load(t.Context(), h, 0, 0, func(rd io.Reader) (err error) { got, err = io.ReadAll(rd); return err }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	h := backend.Handle{Type: backend.PackFile, Name: strings.Repeat("ab", 32)}
	data := bytes.Repeat([]byte("pack data "), 1000)

	// A damaged copy is already there, and someone removed data/ab.
	if err := os.RemoveAll(filepath.Join(dir, "data", "ab")); err != nil {
		t.Fatal(err)
	}
	f := write(data)
	if err := b.SaveFile(t.Context(), h, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := b.Save(t.Context(), h, backend.NewByteReader([]byte("damaged"))); err != nil {
		t.Fatal(err)
	}
	f = write(data)
	if err := b.SaveFile(t.Context(), h, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := load(h); !bytes.Equal(got, data) {
		t.Fatalf("loaded %d bytes, want the %d written", len(got), len(data))
	}
	fi, err := os.Stat(filepath.Join(dir, "data", "ab", h.Name))
	if err != nil || fi.Mode().Perm() != 0o400 {
		t.Fatalf("pack file: %v, mode %v, want 0400", err, fi.Mode())
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	other := backend.Handle{Type: backend.PackFile, Name: strings.Repeat("cd", 32)}
	f = write(data)
	if err := b.SaveFile(ctx, other, f); err == nil {
		t.Fatal("cancelled SaveFile succeeded")
	}
	f.Close()
	if _, err := b.Stat(t.Context(), other); err == nil {
		t.Fatal("cancelled SaveFile left the pack")
	}
	err = filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if strings.Contains(filepath.Base(p), "-tmp-") {
			t.Errorf("leftover %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCreateFileGroupMode: in a group-shared repository (group-readable
// config) the anonymous pack file has the group bits despite the umask,
// as Save's temporary files do.
func TestCreateFileGroupMode(t *testing.T) {
	dir := t.TempDir()
	if _, err := local.Create(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := local.Open(t.Context(), dir) // group modes come from the config file
	if err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	f, err := b.CreateFile()
	if err != nil {
		t.Skipf("no anonymous files here: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("anonymous file mode %v (%v), want 0660", fi.Mode().Perm(), err)
	}
}
