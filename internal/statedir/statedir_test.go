//go:build unix

package statedir

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsure(t *testing.T) {
	for _, c := range []struct {
		name     string
		existing os.FileMode // 0: dir does not exist yet
		want     os.FileMode
		logged   bool
	}{
		{"created", 0, 0o700, false},
		{"already private", 0o700, 0o700, false},
		{"world-readable", 0o755, 0o700, true},
		{"world-writable", 0o777, 0o700, true},
		{"group only", 0o750, 0o700, true},
		{"owner read-only is kept", 0o500, 0o500, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a", "state")
			if c.existing != 0 {
				mustDo(t, os.MkdirAll(dir, 0o700))
				mustDo(t, os.Chmod(dir, c.existing))
			}
			var logs bytes.Buffer
			mustDo(t, Ensure(dir, slog.New(slog.NewTextHandler(&logs, nil))))
			fi, err := os.Stat(dir)
			mustDo(t, err)
			if got := fi.Mode().Perm(); got != c.want {
				t.Errorf("mode %v, want %v", got, c.want)
			}
			if got := strings.Contains(logs.String(), dir); got != c.logged {
				t.Errorf("logged %v, want %v: %q", got, c.logged, logs.String())
			}
		})
	}
}

// A directory owned by another user is not narrowed (it may be shared on
// purpose), but the wide mode is logged.
func TestEnsureLeavesOthersDirectories(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "shared")
	mustDo(t, os.Mkdir(dir, 0o755))
	mustDo(t, os.Chown(dir, 65534, 65534))
	var logs bytes.Buffer
	mustDo(t, Ensure(dir, slog.New(slog.NewTextHandler(&logs, nil))))
	fi, err := os.Stat(dir)
	mustDo(t, err)
	if fi.Mode().Perm() != 0o755 || !strings.Contains(logs.String(), "not ours") {
		t.Errorf("mode %v, log %q; want 0755 kept and a warning", fi.Mode().Perm(), logs.String())
	}
}

func TestEnsureNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	mustDo(t, os.WriteFile(f, nil, 0o600))
	if err := Ensure(f, nil); err == nil {
		t.Fatal("Ensure on a file: no error")
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
