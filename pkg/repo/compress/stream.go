package compress

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// maxStreamWindow is the largest zstd window DecodeStream accepts, and so
// about the most history a pooled decoder keeps. drydock and restic write
// every frame with a 512 KiB window; a frame with a larger one is refused
// here (it is not wrong, only unusual) and goes to Decode, which every
// frame DecodeStream accepts also passes: its memory limit is 1 MiB at
// the least.
const maxStreamWindow = 1 << 20

// ErrWindowTooLarge is DecodeStream's refusal of a frame whose window is
// above maxStreamWindow: Decode can read it.
var ErrWindowTooLarge = errors.New("zstd: window too large to decode as a stream")

// streamDecoders keeps idle stream decoders: one per pack check verifies
// at once is what is ever in use.
var streamDecoders = make(chan *zstd.Decoder, 8)

// DecodeStream writes the decompressed content of the zstd frames read
// from r, to its end, to w. It holds one window of history, however much
// the frames decode to, and fails with ErrTooLarge once they decode to
// more than limit bytes (limit <= 0: MaxDecodedSize) or use a window
// above 1 MiB.
func DecodeStream(w io.Writer, r io.Reader, limit int64) (int64, error) {
	if limit <= 0 || limit > MaxDecodedSize {
		limit = MaxDecodedSize
	}
	d, err := streamDecoder()
	if err != nil {
		return 0, err
	}
	defer func() {
		_ = d.Reset(nil) // lets go of r
		select {
		case streamDecoders <- d:
		default:
			d.Close()
		}
	}()
	if err := d.Reset(r); err != nil {
		return 0, fmt.Errorf("zstd: %w", err)
	}
	lw := &limitedWriter{w: w, left: limit}
	n, err := d.WriteTo(lw)
	switch {
	case lw.over:
		return n, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, limit)
	case errors.Is(err, zstd.ErrWindowSizeExceeded):
		return n, fmt.Errorf("%w (window above %d bytes)", ErrWindowTooLarge, maxStreamWindow)
	case err != nil:
		return n, fmt.Errorf("zstd: %w", err)
	}
	return n, nil
}

func streamDecoder() (*zstd.Decoder, error) {
	select {
	case d := <-streamDecoders:
		return d, nil
	default:
	}
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1), // decodes in the caller's goroutine
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(maxStreamWindow),
	)
	if err != nil {
		return nil, fmt.Errorf("zstd: stream decoder: %w", err)
	}
	return d, nil
}

// limitedWriter passes at most left bytes on to w.
type limitedWriter struct {
	w    io.Writer
	left int64
	over bool
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		l.over = true
		return 0, ErrTooLarge
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}
