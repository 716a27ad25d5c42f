package backend

import (
	"context"
	"io"
	"strconv"
	"strings"
)

// ContentRange is a parsed HTTP Content-Range header.
type ContentRange struct {
	// First and Last are the bytes sent, inclusive; -1 if the range is
	// unsatisfiable ("*") or not a range within Total (some servers,
	// rclone's among them, answer a range past the end so).
	First, Last int64
	Total       int64 // the object's size
}

// ParseContentRange parses a Content-Range header ("bytes 0-9/1234");
// false when it is missing, the size is unknown ("*") or it is malformed.
// HTTP backends check a ranged answer against it: against the object's
// size first (a range that starts inside an object but ends past it is
// answered with fewer bytes), then that it starts where they asked.
func ParseContentRange(v string) (ContentRange, bool) {
	unit, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return ContentRange{}, false
	}
	rng, total, ok := strings.Cut(rest, "/")
	n, okN := parseCount(total)
	if !ok || !okN {
		return ContentRange{}, false
	}
	cr := ContentRange{First: -1, Last: -1, Total: n}
	first, last, ok := strings.Cut(rng, "-")
	a, okA := parseCount(first)
	b, okB := parseCount(last)
	if ok && okA && okB && a <= b && b < n {
		cr.First, cr.Last = a, b
	}
	return cr, true
}

// parseCount parses a decimal count of bytes: digits only, no sign.
func parseCount(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
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
