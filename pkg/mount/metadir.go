package mount

import (
	"context"
	"maps"
	"os"
	"slices"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// metaDir is a directory of the layout above the snapshots (the root,
// snapshots/, hosts/HOST/…). Each Lookup and Readdir reads the snapshots
// again if the refresh interval has passed.
type metaDir struct {
	fs.Inode
	fsys *fileSystem
	path string // in the layout: "" for the root, then "/snapshots"…
}

var (
	_ fs.NodeLookuper   = (*metaDir)(nil)
	_ fs.NodeReaddirer  = (*metaDir)(nil)
	_ fs.NodeGetattrer  = (*metaDir)(nil)
	_ fs.NodeReadlinker = (*snapshotLink)(nil)
)

// fill: read-only, owned by the mounting user, with the time of the
// mount, as restic shows them.
func (d *metaDir) fill(a *fuse.Attr) {
	a.Mode = syscall.S_IFDIR | 0o555
	a.Uid, a.Gid = d.fsys.uid, d.fsys.gid
	a.Nlink = 2
	timeAttr(a, d.fsys.started)
}

func (d *metaDir) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(d, out, 0)
}

// entry is this directory in the current layout.
func (d *metaDir) entry(ctx context.Context) (*entry, syscall.Errno) {
	l, err := d.fsys.snapshots.current(ctx)
	if err != nil {
		return nil, d.fsys.errno(ctx, &d.Inode, err)
	}
	e := l[d.path]
	if e == nil || !e.isDir() {
		return nil, syscall.ENOENT // gone with a snapshot since
	}
	return e, 0
}

func (d *metaDir) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	e, errno := d.entry(ctx)
	if errno != 0 {
		return nil, errno
	}
	names := slices.Sorted(maps.Keys(e.names))
	list := make([]fuse.DirEntry, 0, len(names))
	for _, name := range names {
		c := e.names[name]
		mode := uint32(syscall.S_IFDIR)
		if c.link != "" {
			mode = syscall.S_IFLNK
		}
		list = append(list, fuse.DirEntry{Name: name, Mode: mode, Ino: d.childNumber(name, c)})
	}
	return fs.NewListDirStream(list), 0
}

func (d *metaDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	e, errno := d.entry(ctx)
	if errno != 0 {
		return nil, errno
	}
	c := e.names[name]
	if c == nil {
		return nil, syscall.ENOENT
	}
	ino := d.childNumber(name, c)
	switch {
	case c.link != "":
		return child(ctx, &d.Inode, &snapshotLink{fsys: d.fsys, target: c.link, sn: c.snapshot}, syscall.S_IFLNK, ino, 0, out), 0
	case c.snapshot != nil:
		return child(ctx, &d.Inode, snapshotRoot(d.fsys, c.snapshot, ino), syscall.S_IFDIR, ino, 0, out), 0
	default:
		return child(ctx, &d.Inode, &metaDir{fsys: d.fsys, path: d.path + "/" + name}, syscall.S_IFDIR, ino, 0, out), 0
	}
}

// childNumber is the inode number of the entry c called name. It depends
// on the snapshot and link target too: after a refresh the same name may
// lead elsewhere ("latest" does), and the kernel must not take it for
// the inode it knew.
func (d *metaDir) childNumber(name string, c *entry) uint64 {
	var extra [][]byte
	if c.snapshot != nil {
		extra = append(extra, c.snapshot.ID[:])
	}
	if c.link != "" {
		extra = append(extra, []byte(c.link))
	}
	return inodeNumber(d.StableAttr().Ino, name, extra...)
}

// snapshotRoot is the directory of a snapshot's top tree: read-only,
// owned by root, with the snapshot's time, as restic shows it.
func snapshotRoot(fsys *fileSystem, sn *repo.Snapshot, ino uint64) *dir {
	n := &format.Node{
		Type: format.NodeDir, Mode: os.ModeDir | 0o555, Subtree: sn.Tree,
		ModTime: sn.Time, AccessTime: sn.Time, ChangeTime: sn.Time,
	}
	return newDir(fsys, n, ino)
}

// snapshotLink is a "latest" link to the newest snapshot beside it.
type snapshotLink struct {
	fs.Inode
	fsys   *fileSystem
	target string
	sn     *repo.Snapshot
}

func (l *snapshotLink) fill(a *fuse.Attr) {
	a.Mode = syscall.S_IFLNK | 0o777
	a.Size = uint64(len(l.target))
	a.Blocks = blocks(a.Size)
	a.Uid, a.Gid = l.fsys.uid, l.fsys.gid
	a.Nlink = 1
	timeAttr(a, l.sn.Time)
}

func (l *snapshotLink) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(l, out, 0)
}

func (l *snapshotLink) Readlink(context.Context) ([]byte, syscall.Errno) {
	return []byte(l.target), 0
}
