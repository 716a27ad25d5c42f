package fsutil_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/internal/fsutil"
)

func TestSyncDir(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		wantErr error // nil: success
	}{
		{"directory", tmp, nil},
		{"missing directory", filepath.Join(tmp, "missing"), fs.ErrNotExist},
		// procfs has no fsync: EINVAL, which SyncDir must not report.
		{"file system that cannot sync", "/proc/self", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.dir); tt.wantErr == nil && err != nil {
				t.Skipf("%s: %v", tt.dir, err) // no procfs on this system
			}
			err := fsutil.SyncDir(tt.dir)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("SyncDir(%s): %v", tt.dir, err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("SyncDir(%s): %v, want %v", tt.dir, err, tt.wantErr)
			case err != nil && !strings.Contains(err.Error(), tt.dir):
				t.Fatalf("SyncDir(%s): error %q does not name the directory", tt.dir, err)
			}
		})
	}
}

func TestSyncUnsupported(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&fs.PathError{Op: "sync", Path: "/x", Err: syscall.EINVAL}, true},
		{&fs.PathError{Op: "sync", Path: "/x", Err: syscall.ENOTSUP}, true},
		{&fs.PathError{Op: "sync", Path: "/x", Err: syscall.EIO}, false},
		{errors.New("sync /x: input/output error"), false},
	}
	for _, tt := range tests {
		if got := fsutil.SyncUnsupported(tt.err); got != tt.want {
			t.Errorf("SyncUnsupported(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	// The real procfs answer is one of them.
	d, err := os.Open("/proc/self")
	if err != nil {
		t.Skip(err)
	}
	defer d.Close()
	if err := d.Sync(); err == nil || !fsutil.SyncUnsupported(err) {
		t.Errorf("fsync of /proc/self: %v, want an error SyncUnsupported accepts", err)
	}
}

func TestWriteFileAtomicReplacesAndLeavesNoTemp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	for _, content := range []string{"first", "second, longer than the first"} {
		if err := fsutil.WriteFileAtomic(dir, "journal.json", []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "journal.json"))
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only journal.json: %v", len(entries), entries)
	}
}
