package archiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// failingReader returns its data, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}

// TestVirtualFiles: a virtual file is stored from its stream next to a
// target, below directories that exist only in the snapshot, with its
// mode, mtime and size; a second Save reuses its node without the stream.
func TestVirtualFiles(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("on disk"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(5<<20+123, 1)
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	opened := 0
	vpath := "/.drydock/apps/shop/dumps/db.dump"
	opts := Options{Virtual: []VirtualFile{{Path: vpath, Mode: 0o600, ModTime: mtime,
		Open: func(context.Context) (io.ReadCloser, error) {
			opened++
			return io.NopCloser(bytes.NewReader(data)), nil
		}}}}
	res := save(t, r, []string{src}, nil, opts)
	if opened != 1 {
		t.Fatalf("stream opened %d times, want 1", opened)
	}
	n := node(t, r, res.Tree, vpath)
	if n == nil || n.Type != format.NodeFile || n.Mode != 0o600 || !n.ModTime.Equal(mtime) || n.Size != uint64(len(data)) {
		t.Fatalf("virtual file node %+v", n)
	}
	if got := content(t, r, n); !bytes.Equal(got, data) {
		t.Fatalf("virtual file content: %d bytes, want %d equal ones", len(got), len(data))
	}
	// Chunked as the repository's chunker splits the stream (the
	// polynomial is random: 5 MiB may hold no cut at all, about 1 in 90).
	if want := chunkCount(t, r, data); len(n.Content) != want {
		t.Errorf("5 MiB stored in %d chunk(s), the chunker makes %d", len(n.Content), want)
	}
	dir := node(t, r, res.Tree, "/.drydock/apps")
	if dir == nil || dir.Type != format.NodeDir || dir.Mode != os.ModeDir|0o700 || !dir.ModTime.Equal(mtime) {
		t.Fatalf("synthetic directory node %+v", dir)
	}
	if f := node(t, r, res.Tree, filepath.Join(src, "a.txt")); f == nil {
		t.Fatal("the target's file is missing")
	}
	if res.Virtual[vpath] == nil {
		t.Fatalf("Result.Virtual lacks %s: %v", vpath, res.Virtual)
	}

	res2 := save(t, r, []string{src}, &res.Tree, Options{Virtual: []VirtualFile{{Path: vpath, Node: res.Virtual[vpath]}}})
	if opened != 1 {
		t.Fatal("a pre-built node opened the stream again")
	}
	if n2 := node(t, r, res2.Tree, vpath); n2 == nil || !bytes.Equal(content(t, r, n2), data) || n2.Mode != 0o600 {
		t.Fatalf("pre-built node stored as %+v", n2)
	}
	if a, b := node(t, r, res.Tree, "/.drydock"), node(t, r, res2.Tree, "/.drydock"); *a.Subtree != *b.Subtree {
		t.Error("the same virtual files made a different tree")
	}
}

type closeErr struct {
	io.Reader
	err error
}

func (c closeErr) Close() error { return c.err }

// TestVirtualFileStreamError: a stream that fails, even after data, fails
// the Save with its error: a dump that may be cut short is never stored.
func TestVirtualFileStreamError(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	boom := errors.New("dump command exited 3")
	for _, tc := range []struct {
		name string
		open func(context.Context) (io.ReadCloser, error)
	}{
		{"read", func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(&failingReader{r: bytes.NewReader(randomBytes(3<<20, 2)), err: boom}), nil
		}},
		{"close", func(context.Context) (io.ReadCloser, error) {
			return closeErr{Reader: strings.NewReader("x"), err: boom}, nil
		}},
		{"open", func(context.Context) (io.ReadCloser, error) { return nil, boom }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
				_, err := Save(ctx, r, s, []string{src}, nil, Options{Virtual: []VirtualFile{
					{Path: "/.drydock/x/dump", Mode: 0o600, Open: tc.open}}})
				return err
			})
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), "/.drydock/x/dump") {
				t.Fatalf("Save: %v, want the stream's error naming the file", err)
			}
		})
	}
}

// TestVirtualFileOverlap: virtual files may not hide or be hidden by a
// target.
func TestVirtualFileOverlap(t *testing.T) {
	r := testRepo(t)
	src := t.TempDir()
	open := func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("")), nil }
	for _, p := range []string{src, filepath.Join(src, "x"), filepath.Dir(src), "relative", "/a/../b"} {
		_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
			_, err := Save(ctx, r, s, []string{src}, nil, Options{Virtual: []VirtualFile{{Path: p, Open: open}}})
			return err
		})
		if err == nil {
			t.Errorf("virtual file %s with target %s: no error", p, src)
		}
	}
}

// TestVirtualFileBelowVirtualFile: a virtual file may not sit below
// another, in either order; siblings sharing a name prefix may.
func TestVirtualFileBelowVirtualFile(t *testing.T) {
	open := func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("")), nil }
	for _, tc := range []struct {
		paths []string
		ok    bool
	}{
		{[]string{"/v/a", "/v/a/b"}, false},
		{[]string{"/v/a/b/c", "/v/a"}, false},
		{[]string{"/v/a", "/v/a-b", "/v/ab/c"}, true},
		{[]string{"/v/a", "/v/a"}, false},
	} {
		var vfs []VirtualFile
		for _, p := range tc.paths {
			vfs = append(vfs, VirtualFile{Path: p, Open: open})
		}
		if err := checkVirtual(nil, vfs); (err == nil) != tc.ok {
			t.Errorf("%v: %v, want ok %v", tc.paths, err, tc.ok)
		}
	}
}

// TestCheckVirtualMany: the virtual files of a large build context are
// checked in about linear time (comparing every pair took 49 s for
// 20,000 files).
func TestCheckVirtualMany(t *testing.T) {
	open := func(context.Context) (io.ReadCloser, error) { return nil, errors.New("not opened") }
	vfs := make([]VirtualFile, 200_000)
	for i := range vfs {
		vfs[i] = VirtualFile{Path: fmt.Sprintf("/.drydock/apps/a/definition/build/p/web/context/d%d/e%d/f%d", i/1000, i/50, i), Open: open}
	}
	done := make(chan error, 1)
	go func() { done <- checkVirtual([]string{"/var/lib/docker/volumes/v/_data"}, vfs) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("checkVirtual of 200,000 files took over 30 s")
	}
}

// chunkCount is how many chunks r's chunker cuts data into.
func chunkCount(t *testing.T, r *repo.Repository, data []byte) int {
	t.Helper()
	c, err := chunker.NewChunker(bytes.NewReader(data), r.Polynomial(), chunker.Params{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := c.Next(); errors.Is(err, io.EOF) {
			return n
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
}
