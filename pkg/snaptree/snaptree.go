// Package snaptree reads single entries of a snapshot's tree: the node at a
// path, a file's content, a directory's files. It is for the few files a
// command needs (a dump, an app's definition), not for whole restores,
// which pkg/restorer does.
package snaptree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ErrNotFound is returned when a path is not in the snapshot.
var ErrNotFound = errors.New("not in the snapshot")

// ErrNotDir is returned for a path that goes through, or must be, a
// directory and is not one.
var ErrNotDir = errors.New("not a directory in the snapshot")

// ErrTooLarge is returned by ReadFile for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Lookup returns the node at the absolute path p of the tree root; "/" is
// a directory node for root itself.
func Lookup(ctx context.Context, r *repo.Repository, root format.ID, p string) (*format.Node, error) {
	n := &format.Node{Type: format.NodeDir, Mode: 0o755 | 1<<31, Subtree: &root}
	clean := strings.Trim(path.Clean("/"+p), "/")
	if clean == "" {
		return n, nil
	}
	walked := ""
	for name := range strings.SplitSeq(clean, "/") {
		walked += "/" + name
		if n.Type != format.NodeDir || n.Subtree == nil {
			return nil, fmt.Errorf("%s: %w", path.Dir(walked), ErrNotDir)
		}
		t, err := r.LoadTreeCached(ctx, *n.Subtree)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Dir(walked), err)
		}
		n = child(t, name)
		if n == nil {
			return nil, fmt.Errorf("%s: %w", walked, ErrNotFound)
		}
	}
	return n, nil
}

// LookupDir is Lookup for a path that must be a directory.
func LookupDir(ctx context.Context, r *repo.Repository, root format.ID, p string) (*format.Node, error) {
	n, err := Lookup(ctx, r, root, p)
	if err != nil {
		return nil, err
	}
	if n.Type != format.NodeDir || n.Subtree == nil {
		return nil, fmt.Errorf("%s: %w", p, ErrNotDir)
	}
	return n, nil
}

func child(t *format.Tree, name string) *format.Node {
	for _, c := range t.Nodes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// WriteContent writes a file node's blobs to w in order.
func WriteContent(ctx context.Context, r *repo.Repository, n *format.Node, w io.Writer) error {
	var buf []byte
	for i, id := range n.Content {
		var err error
		if buf, err = r.LoadBlob(ctx, format.DataBlob, id, buf); err != nil {
			return fmt.Errorf("%s: blob %d of %d: %w", n.Name, i+1, len(n.Content), err)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile returns a file node's content, refusing one larger than max
// bytes (by its recorded size, before anything is read).
func ReadFile(ctx context.Context, r *repo.Repository, n *format.Node, max uint64) ([]byte, error) {
	if n.Type != format.NodeFile {
		return nil, fmt.Errorf("%s is a %s, not a file", n.Name, n.Type)
	}
	if n.Size > max {
		return nil, fmt.Errorf("%s: %d bytes: %w (limit %d)", n.Name, n.Size, ErrTooLarge, max)
	}
	var b strings.Builder
	b.Grow(int(n.Size))
	if err := WriteContent(ctx, r, n, &b); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// File is a regular file found by Files.
type File struct {
	Path string // relative to the directory Files was given, slash-separated
	Node *format.Node
}

// Files lists the regular files below the directory node dir, depth
// first in tree order (names sorted). It reads trees only, no content.
func Files(ctx context.Context, r *repo.Repository, dir *format.Node) ([]File, error) {
	var out []File
	var walk func(n *format.Node, prefix string) error
	walk = func(n *format.Node, prefix string) error {
		t, err := r.LoadTreeCached(ctx, *n.Subtree)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		for _, c := range t.Nodes {
			p := path.Join(prefix, c.Name)
			switch {
			case c.Type == format.NodeFile:
				out = append(out, File{Path: p, Node: c})
			case c.Type == format.NodeDir && c.Subtree != nil:
				if err := walk(c, p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if dir.Type != format.NodeDir || dir.Subtree == nil {
		return nil, fmt.Errorf("%s: not a directory", dir.Name)
	}
	return out, walk(dir, "")
}
