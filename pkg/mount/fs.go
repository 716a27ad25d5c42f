package mount

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"log/slog"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// blockSize is the unit of st_blocks and the st_blksize reported, as
// restic's.
const blockSize = 512

// fileSystem is what every node of one mount shares.
type fileSystem struct {
	r         *repo.Repository
	snapshots *snapshotSet
	blobs     *blobCache
	ownerRoot bool      // --owner-root: everything belongs to root
	uid, gid  uint32    // owner of the layout's directories
	started   time.Time // when mounted: the time of the layout's directories
	log       *slog.Logger
}

// errno turns a failed read of the repository into what the kernel
// hands the reader: EINTR if the read was interrupted, else EIO, logged
// with the path, so that the operator sees which blob or tree is damaged.
func (fsys *fileSystem) errno(ctx context.Context, at *fs.Inode, err error) syscall.Errno {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return syscall.EINTR
	}
	fsys.log.Error("read from the repository failed", "path", "/"+at.Path(nil), "error", err)
	return syscall.EIO
}

// owner sets the owner of a node of a snapshot: its recorded one, or
// root under --owner-root.
func (fsys *fileSystem) owner(a *fuse.Attr, n *format.Node) {
	if !fsys.ownerRoot {
		a.Uid, a.Gid = n.UID, n.GID
	}
}

// setTimes copies a node's times into a.
func setTimes(a *fuse.Attr, n *format.Node) {
	a.SetTimes(&n.AccessTime, &n.ModTime, &n.ChangeTime)
}

// attrFiller is a node that can describe itself, for Getattr and for the
// entry a Lookup returns.
type attrFiller interface {
	fs.InodeEmbedder
	fill(a *fuse.Attr)
}

// contentTimeout is how long the kernel may keep what it learnt of a
// snapshot's content: it never changes. The layout above the snapshots
// is not cached at all (timeout 0), so that a refreshed list of snapshots
// is seen at once: a cached "latest" would still lead to the old one.
const contentTimeout = time.Minute

// getattr is the Getattr of every node: what fill says, to be cached for
// timeout.
func getattr(n attrFiller, out *fuse.AttrOut, timeout time.Duration) syscall.Errno {
	n.fill(&out.Attr)
	out.Ino = n.EmbeddedInode().StableAttr().Ino
	out.SetTimeout(timeout)
	return 0
}

// child makes the inode of a node found by Lookup in parent and fills
// the entry the kernel caches for timeout. A node with the same inode
// number that the kernel still knows is used again (a hardlink seen by
// another name).
func child(ctx context.Context, parent *fs.Inode, n attrFiller, mode uint32, ino uint64, timeout time.Duration, out *fuse.EntryOut) *fs.Inode {
	n.fill(&out.Attr)
	out.Ino = ino
	out.SetEntryTimeout(timeout)
	out.SetAttrTimeout(timeout)
	return parent.NewInode(ctx, n, fs.StableAttr{Mode: mode, Ino: ino})
}

// inodeNumber derives a stable inode number from the parent's and a name
// (and, where a name may come to mean something else, what it means).
// 0, 1 (the root) and ^0 (reserved by go-fuse) are never returned.
func inodeNumber(parent uint64, name string, extra ...[]byte) uint64 {
	h := fnv.New64a()
	h.Write(binary.LittleEndian.AppendUint64(nil, parent))
	h.Write([]byte(name))
	for _, e := range extra {
		h.Write([]byte{0})
		h.Write(e)
	}
	ino := h.Sum64()
	if ino < 2 || ino == ^uint64(0) {
		ino = 2
	}
	return ino
}

// hardlinkNumber is the inode number of a file with several links, the
// same for each of its names in one snapshot (snap is the snapshot's root
// inode): from its recorded device and inode, and its content, so that
// two files that only claim to be one never share an inode.
func hardlinkNumber(snap uint64, n *format.Node) uint64 {
	b := binary.LittleEndian.AppendUint64(nil, n.DeviceID)
	b = binary.LittleEndian.AppendUint64(b, n.Inode)
	for _, id := range n.Content {
		b = append(b, id[:]...)
	}
	return inodeNumber(snap, "\x00hardlink", b)
}

// typeBits is the file type part of st_mode for a node.
func typeBits(n *format.Node) uint32 {
	return format.ModeToUnix(n.Mode) & syscall.S_IFMT
}

// blocks is st_blocks for size bytes.
func blocks(size uint64) uint64 { return (size + blockSize - 1) / blockSize }

// timeAttr sets all three times of a to t.
func timeAttr(a *fuse.Attr, t time.Time) { a.SetTimes(&t, &t, &t) }
