package mount

import (
	"context"
	"fmt"
	"sort"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// file is a regular file of a snapshot.
type file struct {
	fs.Inode
	xattrs
	fsys *fileSystem
	node *format.Node
}

var (
	_ fs.NodeOpener    = (*file)(nil)
	_ fs.NodeGetattrer = (*file)(nil)
	_ fs.FileReader    = (*openFile)(nil)
)

func (f *file) fill(a *fuse.Attr) {
	a.Mode = format.ModeToUnix(f.node.Mode)
	a.Size = f.node.Size
	a.Blocks = blocks(f.node.Size)
	a.Blksize = blockSize
	// A link count of 0 (as Windows backups record) would make the kernel
	// take the file for deleted.
	a.Nlink = uint32(max(1, f.node.Links))
	f.fsys.owner(a, f.node)
	setTimes(a, f.node)
}

func (f *file) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(f, out, contentTimeout)
}

// Open finds where each blob of the file ends, from the index: a blob the
// index does not know fails the open, before any read.
func (f *file) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	idx := f.fsys.r.Index()
	ends := make([]uint64, len(f.node.Content))
	var end uint64
	for i, id := range f.node.Content {
		loc, ok := idx.Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			return nil, 0, f.fsys.errno(ctx, &f.Inode, fmt.Errorf("blob %d of %d (%v): not in the index", i+1, len(f.node.Content), id.Str()))
		}
		end += uint64(loc.PlainLength())
		ends[i] = end
	}
	// Contents never change: the kernel may keep what it read.
	return &openFile{f: f, ends: ends}, fuse.FOPEN_KEEP_CACHE, 0
}

// openFile reads a file's content blob by blob, each authenticated by
// the repository's loader.
type openFile struct {
	f    *file
	ends []uint64 // ends[i]: offset just past blob i
}

func (o *openFile) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	pos := uint64(off)
	n := 0
	for i := sort.Search(len(o.ends), func(i int) bool { return o.ends[i] > pos }); i < len(o.ends) && n < len(dest); i++ {
		blob, err := o.blob(ctx, i)
		if err != nil {
			return nil, o.f.fsys.errno(ctx, &o.f.Inode, err)
		}
		c := copy(dest[n:], blob[pos-(o.ends[i]-uint64(len(blob))):])
		n += c
		pos += uint64(c)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// blob returns the plaintext of blob i, of the length the index gave.
func (o *openFile) blob(ctx context.Context, i int) ([]byte, error) {
	var start uint64
	if i > 0 {
		start = o.ends[i-1]
	}
	b, err := o.f.fsys.blobs.load(ctx, o.f.fsys.r, o.f.node.Content[i])
	if err == nil && uint64(len(b)) != o.ends[i]-start {
		err = fmt.Errorf("%d bytes, the index says %d", len(b), o.ends[i]-start)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %d of %d (%v): %w", i+1, len(o.ends), o.f.node.Content[i].Str(), err)
	}
	return b, nil
}
