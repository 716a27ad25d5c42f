package mount

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// dir is a directory of a snapshot. Its tree is loaded on the first
// Lookup or Readdir, not before.
type dir struct {
	fs.Inode
	xattrs
	fsys *fileSystem
	node *format.Node
	snap uint64 // inode number of the snapshot's root, for hardlinks

	mu    sync.Mutex
	items []*format.Node // sorted by name; nil until loaded
	named map[string]*format.Node
}

var (
	_ fs.NodeLookuper  = (*dir)(nil)
	_ fs.NodeReaddirer = (*dir)(nil)
	_ fs.NodeGetattrer = (*dir)(nil)
)

func newDir(fsys *fileSystem, n *format.Node, snap uint64) *dir {
	return &dir{xattrs: xattrs{n}, fsys: fsys, node: n, snap: snap}
}

// fill gives a directory restic's link count: 2 plus its subdirectories,
// counted once its tree is loaded (2 before).
func (d *dir) fill(a *fuse.Attr) {
	a.Mode = format.ModeToUnix(d.node.Mode)
	d.fsys.owner(a, d.node)
	setTimes(a, d.node)
	d.mu.Lock()
	defer d.mu.Unlock()
	a.Nlink = 2
	for _, n := range d.items {
		if n.Type == format.NodeDir {
			a.Nlink++
		}
	}
}

func (d *dir) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(d, out, contentTimeout)
}

// load reads the directory's tree once. Entries named "." or "/" (the
// top of some old restic snapshots) stand for their content; names are
// taken by their last element, and those that cannot be a file name are
// left out with a warning.
func (d *dir) load(ctx context.Context) ([]*format.Node, map[string]*format.Node, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.items != nil {
		return d.items, d.named, nil
	}
	if d.node.Subtree == nil {
		return nil, nil, fmt.Errorf("directory without a subtree")
	}
	nodes, err := d.nodes(ctx, *d.node.Subtree, true)
	if err != nil {
		return nil, nil, err
	}
	named := make(map[string]*format.Node, len(nodes))
	items := make([]*format.Node, 0, len(nodes))
	for _, n := range nodes {
		name := filepath.Base(n.Name)
		if name == "." || name == ".." || name == "/" || named[name] != nil {
			d.fsys.log.Warn("entry left out of the mount", "path", "/"+d.Path(nil), "name", n.Name)
			continue
		}
		named[name] = n
		items = append(items, n)
	}
	slices.SortFunc(items, func(a, b *format.Node) int { return compareNames(a.Name, b.Name) })
	d.items, d.named = items, named
	return items, named, nil
}

func compareNames(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) }

// nodes returns the nodes of tree id, with a "." or "/" directory
// replaced by its own nodes (one level, as restic does).
func (d *dir) nodes(ctx context.Context, id format.ID, expand bool) ([]*format.Node, error) {
	t, err := d.fsys.r.LoadTreeCached(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []*format.Node
	for _, n := range t.Nodes {
		if expand && n.Type == format.NodeDir && n.Subtree != nil && (n.Name == "." || n.Name == "/") {
			inner, err := d.nodes(ctx, *n.Subtree, false)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

func (d *dir) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	items, _, err := d.load(ctx)
	if err != nil {
		return nil, d.fsys.errno(ctx, &d.Inode, err)
	}
	list := make([]fuse.DirEntry, 0, len(items))
	for _, n := range items {
		list = append(list, fuse.DirEntry{Name: filepath.Base(n.Name), Mode: typeBits(n), Ino: d.childNumber(n)})
	}
	return fs.NewListDirStream(list), 0
}

func (d *dir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	_, named, err := d.load(ctx)
	if err != nil {
		return nil, d.fsys.errno(ctx, &d.Inode, err)
	}
	n := named[name]
	if n == nil {
		return nil, syscall.ENOENT
	}
	var c attrFiller
	switch n.Type {
	case format.NodeDir:
		c = newDir(d.fsys, n, d.snap)
	case format.NodeFile:
		c = &file{xattrs: xattrs{n}, fsys: d.fsys, node: n}
	case format.NodeSymlink:
		c = &link{xattrs: xattrs{n}, fsys: d.fsys, node: n}
	case format.NodeDev, format.NodeCharDev, format.NodeFifo, format.NodeSocket:
		c = &other{xattrs: xattrs{n}, fsys: d.fsys, node: n}
	default:
		return nil, syscall.ENOENT // a type this drydock does not know
	}
	return child(ctx, &d.Inode, c, typeBits(n), d.childNumber(n), contentTimeout, out), 0
}

// childNumber is restic's choice: by name below this directory, except
// for a file with several links, which has one number for all of them.
func (d *dir) childNumber(n *format.Node) uint64 {
	if n.Links > 1 && n.Type != format.NodeDir {
		return hardlinkNumber(d.snap, n)
	}
	return inodeNumber(d.StableAttr().Ino, filepath.Base(n.Name))
}
