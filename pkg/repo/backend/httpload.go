package backend

import (
	"context"
	"io"
	"strconv"
	"strings"
)

// TotalFromContentRange parses the total size from an HTTP Content-Range
// header ("bytes 0-9/1234"); false when it is missing, unknown ("*") or
// malformed. HTTP backends check a ranged answer against it: a range that
// starts inside an object but ends past it is answered with fewer bytes.
func TotalFromContentRange(v string) (int64, bool) {
	unit, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || unit != "bytes" {
		return 0, false
	}
	_, total, ok := strings.Cut(rest, "/")
	if !ok || total == "*" {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// ExactReader delivers exactly n bytes of r: a body that ends early is
// io.ErrUnexpectedEOF (transient, so retried), never a silent short read;
// one that goes on is cut at n. It stops when ctx is done.
func ExactReader(ctx context.Context, r io.Reader, n int64) io.Reader {
	return &exactReader{ctx: ctx, r: r, left: n}
}

type exactReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if err := e.ctx.Err(); err != nil {
		return 0, err
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF || (err == nil && e.left == 0) {
		return n, nil
	}
	return n, err
}
