package archiver

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// saveFile fills n.Content and n.Size, from the parent snapshot if the file
// is unchanged, otherwise by reading and chunking it. A file that vanished or
// cannot be read is a warning, not an error: it is left out of its
// directory (n.Type is cleared) and the rest of the backup goes on.
func (a *archiver) saveFile(ctx context.Context, path string, n, old *format.Node) error {
	if a.unchanged(n, old) {
		n.Content = old.Content
		a.progress(func(s *Stats) { s.FilesUnmodified++; s.FilesProcessed++; s.BytesProcessed += n.Size })
		return nil
	}
	content, size, err := a.readFile(ctx, path, n)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var werr warningError
	if errors.As(err, &werr) {
		a.warn(path, werr.err)
		n.Type = "" // dropped by saveDir
		return nil
	}
	if err != nil {
		return err
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
	return nil
}

// warningError marks problems with one file, as opposed to the repository.
type warningError struct{ err error }

func (w warningError) Error() string { return w.err.Error() }

// readFile chunks the file and saves its chunks. Size is what was actually
// read: a file that grows or shrinks while it is read is stored as read,
// like restic does.
func (a *archiver) readFile(ctx context.Context, path string, n *format.Node) (format.IDs, uint64, error) {
	if a.opts.beforeOpen != nil {
		a.opts.beforeOpen(path)
	}
	// O_NOFOLLOW: the entry was a regular file at lstat time; if it was
	// replaced by a symlink since, do not follow it elsewhere.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) { // O_NOATIME needs ownership
		f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	}
	if err != nil {
		return nil, 0, warningError{fmt.Errorf("open: %w", err)}
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, 0, warningError{fmt.Errorf("not a regular file any more")}
	}
	c := a.bufs.Get().(*chunker.Chunker)
	defer a.bufs.Put(c)
	c.Reset(f)
	content := format.IDs{}
	var size uint64
	for {
		ch, err := c.Next()
		if errors.Is(err, io.EOF) {
			return content, size, nil
		}
		if err != nil {
			return nil, 0, warningError{err}
		}
		id := format.ID(sha256.Sum256(ch.Data))
		if _, err := a.s.SaveBlobID(ctx, format.DataBlob, id, ch.Data); err != nil {
			return nil, 0, err
		}
		content = append(content, id)
		size += uint64(ch.Length)
	}
}
