package mount

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// link is a symlink of a snapshot.
type link struct {
	fs.Inode
	xattrs
	fsys *fileSystem
	node *format.Node
}

var _ fs.NodeReadlinker = (*link)(nil)

func (l *link) fill(a *fuse.Attr) {
	a.Mode = format.ModeToUnix(l.node.Mode)
	a.Size = uint64(len(fsnode.LinkTarget(l.node)))
	a.Blocks = blocks(a.Size)
	a.Nlink = uint32(max(1, l.node.Links))
	l.fsys.owner(a, l.node)
	setTimes(a, l.node)
}

func (l *link) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(l, out, contentTimeout)
}

func (l *link) Readlink(context.Context) ([]byte, syscall.Errno) {
	return []byte(fsnode.LinkTarget(l.node)), 0
}

// other is a device, fifo or socket of a snapshot: attributes only.
type other struct {
	fs.Inode
	xattrs
	fsys *fileSystem
	node *format.Node
}

func (o *other) fill(a *fuse.Attr) {
	a.Mode = format.ModeToUnix(o.node.Mode)
	a.Rdev = uint32(o.node.Device)
	a.Nlink = uint32(max(1, o.node.Links))
	o.fsys.owner(a, o.node)
	setTimes(a, o.node)
}

func (o *other) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(o, out, contentTimeout)
}
