//go:build unix

package backup

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// TestOpenRegular: a build context file is read only if it is still the
// regular file listed; a link or FIFO put in its place, or its removal,
// is an error that says to run the backup again.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err := openRegular(p)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "content" {
		t.Errorf("read %q", data)
	}
	link := filepath.Join(dir, "link")
	fifo := filepath.Join(dir, "fifo")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{link, fifo, filepath.Join(dir, "gone")} {
		if rc, err := openRegular(bad); err == nil || !strings.Contains(err.Error(), "run it again") {
			t.Errorf("%s: %v, want an error saying to run again", bad, err)
			if rc != nil {
				rc.Close()
			}
		}
	}
}

// TestDefinitionVirtual: a definition file becomes a virtual file with
// its bytes (0600, the backup's time), a host file's mode and mtime, or a
// symbolic link node.
func TestDefinitionVirtual(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mtime := now.Add(-time.Hour)
	plain := definitionVirtual("/a", volume.DefinitionFile{Path: "containers/c.json", Data: []byte("{}")}, now)
	if plain.Path != "/a/definition/containers/c.json" || plain.Mode != 0o600 || !plain.ModTime.Equal(now) || plain.Open == nil {
		t.Errorf("plain: %+v", plain)
	}
	host := definitionVirtual("/a", volume.DefinitionFile{Path: "build/p/s/context/x.sh", Source: "/src/x.sh", Mode: 0o755, ModTime: mtime}, now)
	if host.Mode != 0o755 || !host.ModTime.Equal(mtime) || host.Open == nil || host.Node != nil {
		t.Errorf("host file: %+v", host)
	}
	link := definitionVirtual("/a", volume.DefinitionFile{Path: "build/p/s/context/l", Link: "../t", ModTime: mtime}, now)
	if link.Node == nil || link.Open != nil || link.Node.Type != format.NodeSymlink || link.Node.LinkTarget != "../t" || link.Node.Name != "l" || link.Node.Mode&os.ModeSymlink == 0 {
		t.Errorf("link: %+v %+v", link, link.Node)
	}
}
