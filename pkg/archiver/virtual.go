package archiver

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// VirtualFile is a file of the snapshot that is not on disk: a database
// dump streamed from a command, a container's definition. Its content is
// chunked, deduplicated and saved like a regular file's, straight from
// Open's stream: it is never held whole in memory or written anywhere.
// The directories above it that are not also above a target exist only in
// the snapshot (mode 0700, owned by this process's user, mtime that of the
// newest virtual file below them).
type VirtualFile struct {
	Path    string      // absolute and clean; not inside a target
	Mode    os.FileMode // permission bits
	ModTime time.Time
	// Open returns the content. An error of the stream (from Read or
	// Close) fails the Save: a file that may be incomplete is never
	// stored, unlike a file on disk that cannot be read.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Node, if set, is stored as is (renamed to the path's base) instead
	// of calling Open: a node of an earlier Save's Result.Virtual whose
	// blobs are in the repository, so that a stream runs once for two
	// passes.
	Node *format.Node
}

// checkVirtual rejects virtual paths that overlap the targets or each
// other. An app's build context can make tens of thousands of virtual
// files: each is checked against its own parents, not against every other.
func checkVirtual(targets []string, vfs []VirtualFile) error {
	seen := make(map[string]bool, len(vfs))
	for _, f := range vfs {
		if !filepath.IsAbs(f.Path) || filepath.Clean(f.Path) != f.Path || f.Path == "/" {
			return fmt.Errorf("virtual file %q: not an absolute, clean file path", f.Path)
		}
		if (f.Open == nil) == (f.Node == nil) {
			return fmt.Errorf("virtual file %s: want either Open or Node", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("virtual file %s: given twice", f.Path)
		}
		seen[f.Path] = true
		for _, t := range targets {
			if within(f.Path, t) || within(t, f.Path) {
				return fmt.Errorf("virtual file %s overlaps backup target %s", f.Path, t)
			}
		}
	}
	for _, f := range vfs {
		for d := filepath.Dir(f.Path); d != "/"; d = filepath.Dir(d) {
			if seen[d] {
				return fmt.Errorf("virtual file %s is below virtual file %s", f.Path, d)
			}
		}
	}
	return nil
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// addVirtual places the virtual files into the tree of targets. A
// directory created here is synthetic unless a target lies below it too.
func addVirtual(root *vdir, vfs []VirtualFile) {
	for i := range vfs {
		f := &vfs[i]
		mtime := f.ModTime
		if f.Node != nil {
			mtime = f.Node.ModTime
		}
		v := root
		parts := splitPath(f.Path)
		for j, name := range parts {
			c, ok := v.children[name]
			if !ok {
				c = &vdir{children: map[string]*vdir{}, synthetic: true}
				v.children[name] = c
			}
			if c.synthetic && mtime.After(c.modTime) {
				c.modTime = mtime
			}
			if j == len(parts)-1 {
				c.file, c.children = f, nil
			}
			v = c
		}
	}
}

// syntheticDir is the node of a directory that exists only in the
// snapshot.
func syntheticDir(name string, mtime time.Time) *format.Node {
	return &format.Node{
		Name: name, Type: format.NodeDir, Mode: os.ModeDir | 0o700,
		ModTime: mtime, AccessTime: mtime, ChangeTime: mtime,
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()),
	}
}

// saveVirtualFile stores a virtual file into n: its pre-built node, or
// the chunks of its stream.
func (a *archiver) saveVirtualFile(ctx context.Context, path string, f *VirtualFile, n, old *format.Node) error {
	if f.Node != nil {
		*n = *f.Node
		n.Name = filepath.Base(path)
		a.progress(func(s *Stats) { s.FilesUnmodified++; s.FilesProcessed++; s.BytesProcessed += n.Size })
		a.keepVirtual(path, n)
		return nil
	}
	rc, err := f.Open(ctx)
	if err != nil {
		return fmt.Errorf("open virtual file %s: %w", path, err)
	}
	content, size, err := a.chunk(ctx, rc, true)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("virtual file %s: %w", path, err)
	}
	n.Content, n.Size = content, size
	a.progress(func(s *Stats) {
		if old == nil {
			s.FilesNew++
		} else {
			s.FilesChanged++
		}
		s.FilesProcessed++
		s.BytesProcessed += size
	})
	a.keepVirtual(path, n)
	return nil
}

func (a *archiver) keepVirtual(path string, n *format.Node) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.virtual == nil {
		a.virtual = map[string]*format.Node{}
	}
	a.virtual[path] = n
}

// virtualNode is the node of a virtual file before its content is saved.
func virtualNode(name string, f *VirtualFile) *format.Node {
	return &format.Node{
		Name: name, Type: format.NodeFile, Mode: f.Mode & os.ModePerm,
		ModTime: f.ModTime, AccessTime: f.ModTime, ChangeTime: f.ModTime,
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Links: 1,
	}
}
