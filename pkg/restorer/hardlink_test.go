//go:build linux

package restorer_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// TestHardlinksWithDifferentContent: names of one inode whose content
// lists differ are never linked: each name gets its own content, the
// first name of each other content is reported (the link the snapshot
// claims was not made), and names with equal content are still linked.
func TestHardlinksWithDifferentContent(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		one, two := c.Blob("first content"), c.Blob("other content")
		link := func(name string, id format.ID) string {
			return c.Node(format.Node{Name: name, Type: format.NodeFile, Mode: 0o644, Size: 13, Links: 4,
				DeviceID: 7, Inode: 42, Content: format.IDs{id}})
		}
		return c.Tree(link("a", one), link("b", two), link("c", two), link("d", one))
	})
	target := t.TempDir()
	var reported []restorer.Failure
	st, err := restorer.Restore(t.Context(), r, root, target, restorer.Options{Failed: func(f restorer.Failure) { reported = append(reported, f) }})
	if !errors.Is(err, restorer.ErrIncomplete) {
		t.Errorf("restore: %v, want it incomplete", err)
	}
	if len(reported) != 1 || reported[0].Path != "/b" || !strings.Contains(reported[0].Err.Error(), "not hardlinked to /a") {
		t.Errorf("reported %v, want /b alone, not linked to /a", reported)
	}
	inode := map[string]uint64{}
	for name, want := range map[string]string{"a": "first content", "b": "other content", "c": "other content", "d": "first content"} {
		p := filepath.Join(target, name)
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
		fi, err := os.Stat(p)
		if err == nil {
			inode[name] = fi.Sys().(*syscall.Stat_t).Ino
		}
	}
	if inode["a"] != inode["d"] || inode["b"] != inode["c"] || inode["a"] == inode["b"] {
		t.Errorf("inodes a b c d = %v, want a=d, b=c, a≠b", inode)
	}
	if st.Files != 2 || st.Links != 2 {
		t.Errorf("stats %+v, want 2 files and 2 links", st)
	}
	if ents, _ := os.ReadDir(target); slices.ContainsFunc(ents, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), restorer.PartialSuffix) }) {
		t.Errorf("partial files in %v", ents)
	}
}
