package sftp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/pkg/sftp"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Save implements backend.Backend: the content goes to a temporary file in
// the final directory, which is synced (where the server offers
// fsync@openssh.com) and then renamed into place.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	c, release, err := b.begin(ctx, h)
	if err != nil {
		return fmt.Errorf("save %s: %w", h, err)
	}
	defer release()
	if err := rd.Rewind(); err != nil {
		return fmt.Errorf("save %s: rewind input: %w", h, err)
	}
	final := b.path(h)
	tmp := final + "-tmp-" + randomSuffix()
	if err := b.writeTemp(ctx, c, tmp, rd); err != nil {
		b.removeTemp(c, tmp)
		return fmt.Errorf("save %s: %w", h, err)
	}
	if err := b.rename(c, tmp, final); err != nil {
		b.removeTemp(c, tmp)
		return fmt.Errorf("save %s: rename %s into place: %w", h, tmp, b.translate(c, err))
	}
	return nil
}

// writeTemp writes all of rd to the new file tmp.
func (b *Backend) writeTemp(ctx context.Context, c *conn, tmp string, rd backend.RewindReader) error {
	f, err := c.client.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if errors.Is(err, fs.ErrNotExist) {
		// A repository made by another tool may lack a data/XX directory.
		if err := c.client.MkdirAll(path.Dir(tmp)); err != nil {
			return fmt.Errorf("create directory %s: %w", path.Dir(tmp), b.translate(c, err))
		}
		f, err = c.client.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, b.translate(c, err))
	}
	// The server creates files with its umask; set the mode while empty.
	err = f.Chmod(b.fileMode)
	if err == nil {
		err = b.copyTo(ctx, c, f, rd)
	} else {
		err = fmt.Errorf("chmod %s: %w", tmp, b.translate(c, err))
	}
	if err == nil && c.fsync {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("sync %s: %w", tmp, b.translate(c, err))
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", tmp, b.translate(c, cerr))
	}
	return err
}

// copyTo writes exactly rd.Length() bytes of rd to f, with many writes in
// flight (the length lets the client pipeline them).
func (b *Backend) copyTo(ctx context.Context, c *conn, f *sftp.File, rd backend.RewindReader) error {
	size := rd.Length()
	src := &ctxReader{ctx: ctx, r: rd}
	n, err := f.ReadFrom(&io.LimitedReader{R: src, N: size})
	switch {
	case src.err != nil:
		return fmt.Errorf("read input: %w", src.err)
	case err != nil:
		return fmt.Errorf("write %s: %w", f.Name(), b.translate(c, err))
	case n != size:
		return fmt.Errorf("input ended after %d of its %d bytes", n, size)
	}
	return nil
}

// ctxReader stops reading once ctx is done and remembers the error it (or
// the reader it wraps) returned, to tell input errors from write errors.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return 0, err
	}
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// rename moves tmp to final, replacing final. Without posix-rename, SFTP's
// rename refuses an existing target; then the target (a file being saved
// again: same content, or the config) is removed first.
func (b *Backend) rename(c *conn, tmp, final string) error {
	if c.posixRename {
		return c.client.PosixRename(tmp, final)
	}
	err := c.client.Rename(tmp, final)
	if err == nil {
		return nil
	}
	var status *sftp.StatusError
	if !errors.As(err, &status) {
		return err
	}
	if _, serr := c.client.Stat(final); serr != nil {
		return err
	}
	if rerr := c.client.Remove(final); rerr != nil {
		return rerr
	}
	return c.client.Rename(tmp, final)
}

// removeTemp deletes a temporary file after a failed save, unless the
// connection is gone (the leftover is ignored by List, like restic's).
func (b *Backend) removeTemp(c *conn, tmp string) {
	if c.dead() {
		return
	}
	if err := c.client.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.log.Debug("remove temporary file", "file", tmp, "err", err)
	}
}

func randomSuffix() string {
	var buf [8]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

// maxReadBuffer is the most a Load buffers: reads this large go out as
// many concurrent SFTP requests, which keeps a high-latency link busy.
const maxReadBuffer = 1 << 20

// Load implements backend.Backend. The range is checked against the file's
// size before fn runs.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	c, release, err := b.begin(ctx, h)
	if err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	defer release()
	f, err := c.client.Open(b.path(h))
	if err != nil {
		return fmt.Errorf("load %s: %w", h, b.translate(c, err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("load %s: stat: %w", h, b.translate(c, err))
	}
	n, err := backend.CheckRange(fi.Size(), int64(length), offset)
	if err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	rd := &loadReader{ctx: ctx, r: io.NewSectionReader(f, offset, n), left: n, b: b, c: c}
	if err := fn(bufio.NewReaderSize(rd, int(min(n, maxReadBuffer)))); err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	return nil
}

// loadReader reads a file's range for Load: it stops when ctx is done,
// turns a file that ends early into io.ErrUnexpectedEOF (never a silent
// short read) and translates read errors, so that a connection lost
// mid-read is transient and reconnects.
type loadReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
	b    *Backend
	c    *conn
}

func (l *loadReader) Read(p []byte) (int, error) {
	if err := l.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	switch {
	case err == io.EOF && l.left > 0:
		err = fmt.Errorf("file ended %d bytes early: %w", l.left, io.ErrUnexpectedEOF)
	case err != nil && err != io.EOF:
		err = l.b.translate(l.c, err)
	}
	return n, err
}
