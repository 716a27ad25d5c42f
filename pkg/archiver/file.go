package archiver

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/directio"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// reuse takes over old's content for n if the file is unchanged since
// (restic's rule, see unchanged): it is then not read.
func (a *archiver) reuse(n, old *format.Node) bool {
	if !a.unchanged(n, old) {
		return false
	}
	n.Content = old.Content
	a.progress(func(s *Stats) { s.FilesUnmodified++; s.FilesProcessed++; s.BytesProcessed += n.Size })
	return true
}

// saveFile fills n.Content and n.Size of a new or changed file by reading
// and chunking it. A file that vanished or cannot be read is a warning, not
// an error: it is left out of its directory (n.Type is cleared) and the
// rest of the backup goes on.
func (a *archiver) saveFile(ctx context.Context, path string, n, old *format.Node) error {
	if a.opts.Reading != nil {
		a.opts.Reading(path, true)
		defer a.opts.Reading(path, false)
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

// Files of at least directMin bytes are read around the page cache
// (package directio), to the end as it is when reading ends, like the
// others: a backup reads each file once, and through the cache it would
// evict the host's working set and cost the kernel a page allocation and a
// copy per 4 KiB. Small files keep the cache: their reads are cheap and
// their metadata dominates.
const directMin = 1 << 20

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
	f, err := openFile(path)
	if err != nil {
		return nil, 0, warningError{fmt.Errorf("open: %w", err)}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, 0, warningError{fmt.Errorf("not a regular file any more")}
	}
	var rd io.Reader = f
	big := fi.Size() >= directMin
	if big {
		select {
		case a.bigFiles <- struct{}{}:
			defer func() { <-a.bigFiles }()
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
		// Three chunks ahead: the disk serves the small files' reads and
		// the packs' writes and fsyncs meanwhile, and one read in flight
		// left the chunker waiting 3.8 s of 5 (bench/README, sessions 17, 18).
		if dr, ok := directio.NewReaderAhead(f, 0, -1, 3); ok {
			defer dr.Close()
			rd = dr
		}
	}
	content, size, err := a.chunk(ctx, rd, big)
	var rerr readError
	if errors.As(err, &rerr) {
		return nil, 0, warningError(rerr)
	}
	return content, size, err
}

// openFile opens a file to back it up. O_NOFOLLOW: the entry was a regular
// file at lstat time; if it was replaced by a symlink since, do not follow
// it elsewhere. The descriptor is opened here and wrapped by os.NewFile
// rather than by os.OpenFile, which tries to register every file with the
// network poller: for a regular file that costs four fcntl and a failing
// epoll_ctl, 5 of the 13 system calls a small file took in all (strace -c
// of a first backup of 5,000 small files); os.NewFile does one fcntl.
func openFile(path string) (*os.File, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open(path, flags|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) { // O_NOATIME needs ownership
		fd, err = unix.Open(path, flags, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// readError marks a failure of the reader a chunk stream came from, as
// opposed to the repository: for a file on disk it is a warning, for a
// virtual file's stream (a dump command) it fails the backup.
type readError struct{ err error }

func (r readError) Error() string { return r.err.Error() }
func (r readError) Unwrap() error { return r.err }

// chunk splits rd into chunks and saves them; big selects a chunker with
// a buffer for the largest chunk. It holds a bounded amount of the stream
// in memory (a chunker buffer and chunksInFlight copies), however long it is.
func (a *archiver) chunk(ctx context.Context, rd io.Reader, big bool) (format.IDs, uint64, error) {
	c := a.chunkers.get(big)
	defer a.chunkers.put(c)
	c.Reset(rd)
	// Large chunks are hashed, compressed and encrypted by other goroutines
	// while this one reads on, so that one big file uses every core. The
	// chunk must be copied out of the chunker's buffer for that.
	g, gctx := errgroup.WithContext(ctx)
	var ids []*format.ID
	var size uint64
	for {
		ch, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = g.Wait()
			return nil, 0, readError{err}
		}
		size += uint64(ch.Length)
		id := new(format.ID)
		ids = append(ids, id)
		if ch.Length < chunker.MinSize {
			if err := a.saveChunk(gctx, id, ch.Data); err != nil {
				_ = g.Wait()
				return nil, 0, err
			}
			continue
		}
		select {
		case a.chunks <- struct{}{}:
		case <-gctx.Done():
			err := g.Wait()
			if err == nil {
				err = gctx.Err()
			}
			return nil, 0, err
		}
		buf := a.getBuf(ch.Data)
		g.Go(func() error {
			defer func() { a.putBuf(buf); <-a.chunks }()
			return a.saveChunk(gctx, id, *buf)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	content := make(format.IDs, len(ids))
	for i, id := range ids {
		content[i] = *id
	}
	return content, size, nil
}

// saveChunk hashes a chunk into *id and saves it as a data blob.
func (a *archiver) saveChunk(ctx context.Context, id *format.ID, data []byte) error {
	*id = sha256.Sum256(data)
	_, err := a.s.SaveBlobID(ctx, format.DataBlob, *id, data)
	return err
}

// getBuf returns a pooled copy of data.
func (a *archiver) getBuf(data []byte) *[]byte {
	b := a.chunkBufs.Get()
	*b = append(*b, data...)
	return b
}

func (a *archiver) putBuf(b *[]byte) { a.chunkBufs.Put(b) }
