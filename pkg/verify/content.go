package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// plaintextLength is a blob's length before compression and encryption:
// what it adds to a file. The index stores it for compressed blobs only;
// for the others it is the stored length minus the encryption overhead.
func plaintextLength(loc index.Location) int64 {
	if loc.UncompressedLength != 0 {
		return int64(loc.UncompressedLength)
	}
	return int64(loc.Length) - crypto.Extension
}

// content checks the size of the restored file at snapshot path p and
// streams it through SHA-256, one blob range at a time.
func (c *comparer) content(ctx context.Context, p string, n *format.Node, size int64) error {
	if uint64(size) != n.Size {
		c.mismatch(p, WrongSize, fmt.Sprintf("%d bytes", n.Size), fmt.Sprintf("%d bytes", size))
		return nil
	}
	f, err := openRestored(c.local(p))
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	defer f.Close()
	bp := c.bufs.Get().(*[]byte)
	defer c.bufs.Put(bp)
	h := sha256.New()
	var off int64
	for i, id := range n.Content {
		if err := ctx.Err(); err != nil {
			return err
		}
		loc, ok := c.r.Index().Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			return fmt.Errorf("%q: data blob %v: %w", p, id.Str(), repo.ErrBlobNotFound)
		}
		want := plaintextLength(loc)
		blob := fmt.Sprintf("blob %d of %d (%v, %d bytes) at offset %d", i+1, len(n.Content), id.Str(), want, off)
		h.Reset()
		got, err := io.CopyBuffer(h, io.LimitReader(f, want), *bp)
		if err != nil {
			return fmt.Errorf("%q: read at offset %d: %w", p, off+got, err)
		}
		if got < want {
			c.mismatch(p, WrongContent, blob, fmt.Sprintf("the file ends at offset %d", off+got))
			return nil
		}
		if sum := format.ID(h.Sum(nil)); sum != id {
			c.mismatch(p, WrongContent, blob, "SHA-256 "+sum.Str())
			return nil
		}
		off += want
	}
	if extra, err := f.Read((*bp)[:1]); extra > 0 || (err != nil && !errors.Is(err, io.EOF)) {
		c.mismatch(p, WrongContent, fmt.Sprintf("the end after %d blobs at offset %d", len(n.Content), off), "more bytes")
		return nil
	}
	c.count(func(r *Report) {
		r.Files++
		r.Bytes += uint64(off)
		r.Blobs += len(n.Content)
	})
	return nil
}

// openRestored opens a restored file for reading. Without root, a file
// restored without read permission for its owner (mode 0200, say) cannot be
// opened: the scratch copy is ours, so it is made readable for the open
// and its mode, compared already, put back at once.
func openRestored(name string) (*os.File, error) {
	f, err := os.Open(name)
	if err == nil || !errors.Is(err, fs.ErrPermission) || os.Geteuid() == 0 {
		return f, err
	}
	fi, serr := os.Lstat(name)
	if serr != nil {
		return nil, err
	}
	if cerr := os.Chmod(name, fi.Mode().Perm()|0o400); cerr != nil {
		return nil, err
	}
	f, err = os.Open(name)
	if cerr := os.Chmod(name, fi.Mode()&restoredModeBits); cerr != nil && err == nil {
		f.Close()
		return nil, cerr
	}
	return f, err
}
