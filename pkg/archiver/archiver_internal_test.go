package archiver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func testRepo(t *testing.T) *repo.Repository {
	t.Helper()
	r, _ := repotest.New(t, 0, repo.Options{})
	return r
}

func save(t *testing.T, r *repo.Repository, targets []string, parent *format.ID, opts Options) Result {
	t.Helper()
	var res Result
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = Save(ctx, r, s, targets, parent, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// node finds a node by path below a root tree.
func node(t *testing.T, r *repo.Repository, root format.ID, path string) *format.Node {
	t.Helper()
	id := root
	parts := splitPath(path)
	for i, name := range parts {
		tree, err := r.LoadTree(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		var found *format.Node
		for _, n := range tree.Nodes {
			if n.Name == name {
				found = n
			}
		}
		if found == nil {
			return nil
		}
		if i == len(parts)-1 {
			return found
		}
		id = *found.Subtree
	}
	return nil
}

func content(t *testing.T, r *repo.Repository, n *format.Node) []byte {
	t.Helper()
	var out []byte
	for _, id := range n.Content {
		b, err := r.LoadBlob(t.Context(), format.DataBlob, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// TestFilesChangingDuringBackup: a file that vanishes between the directory
// listing and its read is left out with a warning; a file that grows is
// stored as read, with its size.
func TestFilesChangingDuringBackup(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	for _, name := range []string{"stays", "vanishes", "grows"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	extra := bytes.Repeat([]byte("more"), 300000)
	res := save(t, r, []string{src}, nil, Options{beforeOpen: func(p string) {
		switch filepath.Base(p) {
		case "vanishes":
			os.Remove(p)
		case "grows":
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.Write(extra)
			f.Close()
		}
	}})
	if len(res.Warnings) != 1 || filepath.Base(res.Warnings[0].Path) != "vanishes" {
		t.Fatalf("warnings %v, want exactly one for the vanished file", res.Warnings)
	}
	if n := node(t, r, res.Tree, filepath.Join(src, "vanishes")); n != nil {
		t.Fatal("the vanished file is in the snapshot")
	}
	g := node(t, r, res.Tree, filepath.Join(src, "grows"))
	want := append([]byte("grows"), extra...)
	if g == nil || g.Size != uint64(len(want)) || !bytes.Equal(content(t, r, g), want) {
		t.Fatalf("grown file stored wrongly: %+v", g)
	}
	if s := node(t, r, res.Tree, filepath.Join(src, "stays")); s == nil || string(content(t, r, s)) != "stays" {
		t.Fatal("the unchanged file is missing or wrong")
	}
}

// TestFileReplacedBySymlink: a file that became a symlink between the
// directory listing and its open is left out with a warning; the file the
// link points to is not read in its place.
func TestFileReplacedBySymlink(t *testing.T) {
	r := testRepo(t)
	src, outside := t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("not part of the backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plain", "swapped"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := save(t, r, []string{src}, nil, Options{beforeOpen: func(p string) {
		if filepath.Base(p) == "swapped" {
			if err := os.Remove(p); err != nil {
				t.Error(err)
			}
			if err := os.Symlink(secret, p); err != nil {
				t.Error(err)
			}
		}
	}})
	if len(res.Warnings) != 1 || filepath.Base(res.Warnings[0].Path) != "swapped" {
		t.Fatalf("warnings %v, want exactly one for the swapped file", res.Warnings)
	}
	if n := node(t, r, res.Tree, filepath.Join(src, "swapped")); n != nil {
		t.Fatalf("the swapped file is in the snapshot: %+v", n)
	}
	if p := node(t, r, res.Tree, filepath.Join(src, "plain")); p == nil || string(content(t, r, p)) != "plain" {
		t.Fatal("the plain file is missing or wrong")
	}
}

// TestParentReuse: an unchanged file is taken from the parent without being
// read; a changed one (new mtime) is read again.
func TestParentReuse(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	first := save(t, r, []string{src}, nil, Options{})
	if err := os.WriteFile(filepath.Join(src, "b"), []byte("B!"), 0o644); err != nil {
		t.Fatal(err)
	}
	var opened []string
	second := save(t, r, []string{src}, &first.Tree, Options{beforeOpen: func(p string) { opened = append(opened, filepath.Base(p)) }})
	if len(opened) != 1 || opened[0] != "b" {
		t.Fatalf("files read with a parent: %v, want only the changed one", opened)
	}
	if second.Stats.FilesUnmodified != 1 || second.Stats.FilesChanged != 1 {
		t.Fatalf("stats %+v", second.Stats)
	}
	if b := node(t, r, second.Tree, filepath.Join(src, "b")); string(content(t, r, b)) != "B!" {
		t.Fatal("changed file has old content")
	}
}

func TestExcluded(t *testing.T) {
	for _, c := range []struct {
		pats []string
		path string
		want bool
	}{
		{[]string{"*.tmp"}, "/data/x.tmp", true},
		{[]string{"*.tmp"}, "/data/x.tmpl", false},
		{[]string{"/data/cache"}, "/data/cache/deep/file", true},
		{[]string{"/data/cache"}, "/data/cachet", false},
		{[]string{"/data/*/logs"}, "/data/app/logs/x", true},
		// restic's "**", relative paths and "!" (pathmatch)
		{[]string{"/data/**/x.log"}, "/data/a/b/x.log", true},
		{[]string{"logs/*.gz"}, "/var/logs/old.gz", true},
		{[]string{"*.tmp", "!keep.tmp"}, "/data/keep.tmp", false},
		{nil, "/data/x", false},
	} {
		if got := Excluded(c.pats, c.path); got != c.want {
			t.Errorf("Excluded(%v, %q) = %v", c.pats, c.path, got)
		}
	}
}

// TestCancelledWhileFilesWait: a backup cancelled while a file waits for
// a reader fails with the cancellation, not with a tree whose file has no
// content ("null content list").
func TestCancelledWhileFilesWait(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		a := newArchiver(r, s, Options{Files: 1, Logger: slog.New(slog.DiscardHandler)})
		a.files <- struct{}{} // every reader busy
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := a.saveDir(ctx, src, nil, 0)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v, want context.Canceled", err)
	}
}
