//go:build linux

package restorer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// TestSizeDisagreesWithContent: a file whose size the snapshot gives
// otherwise than its content (1 TiB for 5 bytes, 2 bytes for 5, 10 for
// none) is damage: it is named, its content is written as it is (never
// grown to the claimed size) under NAME.drydock-partial, not NAME, and a
// file beside it is restored.
func TestSizeDisagreesWithContent(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		hello := c.Blob("hello")
		file := func(name string, size uint64, content ...format.ID) string {
			return c.Node(format.Node{Name: name, Type: format.NodeFile, Mode: 0o644, Size: size, Content: content})
		}
		return c.Tree(file("huge", 1<<40, hello), file("short", 2, hello), file("empty", 10), c.File("ok", 0o644, "intact"))
	})
	target := t.TempDir()
	reported := map[string]string{}
	_, err := restorer.Restore(t.Context(), r, root, target, restorer.Options{Failed: func(f restorer.Failure) { reported[f.Path] = f.Err.Error() }})
	if !errors.Is(err, restorer.ErrIncomplete) {
		t.Errorf("restore: %v, want it incomplete", err)
	}
	for name, c := range map[string]struct {
		claimed uint64
		content string
	}{"huge": {1 << 40, "hello"}, "short": {2, "hello"}, "empty": {10, ""}} {
		if msg := reported["/"+name]; !strings.Contains(msg, strconv.FormatUint(c.claimed, 10)) || !strings.Contains(msg, name+restorer.PartialSuffix) {
			t.Errorf("%s reported as %q", name, msg)
		}
		if _, err := os.Lstat(filepath.Join(target, name)); !os.IsNotExist(err) {
			t.Errorf("%s under its real name: %v", name, err)
		}
		p := filepath.Join(target, name+restorer.PartialSuffix)
		got, err := os.ReadFile(p)
		if err != nil || string(got) != c.content {
			t.Errorf("%s: %q, %v; want %q", p, got, err, c.content)
		}
		if fi, err := os.Stat(p); err == nil && fi.Sys().(*syscall.Stat_t).Blocks > 64 {
			t.Errorf("%s: %d blocks allocated", p, fi.Sys().(*syscall.Stat_t).Blocks)
		}
	}
	if got, err := os.ReadFile(filepath.Join(target, "ok")); err != nil || string(got) != "intact" {
		t.Errorf("ok: %q, %v", got, err)
	}
	if len(reported) != 3 {
		t.Errorf("reported %v, want the three files", reported)
	}
}
