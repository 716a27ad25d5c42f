package chunker

import (
	"errors"
	"fmt"
	"io"
)

// Chunk is one chunk of a stream.
type Chunk struct {
	Start  uint64 // offset of the first byte in the stream
	Length int    // number of bytes
	Cut    uint64 // fingerprint at the cut (see Splitter.Final for the last chunk)
	Data   []byte // the bytes; they stay valid only until the next call of Next
}

// Chunker cuts the stream of an io.Reader into chunks. It reads into one
// buffer and returns chunks as slices of it, so bytes are copied only when a
// partial chunk is moved to the front of the buffer to make room.
type Chunker struct {
	rd      io.Reader
	sp      *Splitter
	buf     []byte
	r       int // buf[r:w] is read but not yet returned as a chunk
	scanned int // buf[r:scanned] has been fed to the splitter
	w       int
	start   uint64 // stream offset of buf[r]
	err     error  // sticky error of rd, io.EOF at the end
	done    bool
}

// NewChunker returns a Chunker reading from rd. buf is the buffer chunks are
// returned in; nil allocates the largest chunk plus 1 MiB, which never has
// to grow. A smaller buffer is replaced by a larger one when a chunk does
// not fit, up to that size: a Chunker for small files can start small and
// grow only for a big one.
func NewChunker(rd io.Reader, pol Pol, params Params, buf []byte) (*Chunker, error) {
	sp, err := NewSplitter(pol, params)
	if err != nil {
		return nil, err
	}
	if buf == nil {
		buf = make([]byte, fullBuffer(sp.p))
	}
	if len(buf) == 0 {
		return nil, fmt.Errorf("chunker: empty buffer")
	}
	return &Chunker{rd: rd, sp: sp, buf: buf}, nil
}

// fullBuffer is the buffer size a Chunker never needs to grow beyond: the
// largest chunk plus room to read ahead of it.
func fullBuffer(p Params) int { return p.MaxSize + 1<<20 }

// grown is the next buffer size: double, but straight to the full size
// once a maximal chunk would fill it, so that reads stay large.
func (c *Chunker) grown() int {
	full := fullBuffer(c.sp.p)
	if n := 2 * len(c.buf); n < c.sp.p.MaxSize {
		return n
	}
	return max(full, len(c.buf)+1)
}

// BufferSize returns the size of c's buffer now.
func (c *Chunker) BufferSize() int { return len(c.buf) }

// Reset makes c read a new stream from rd, keeping its buffer and tables.
func (c *Chunker) Reset(rd io.Reader) {
	c.rd, c.r, c.scanned, c.w, c.start, c.err, c.done = rd, 0, 0, 0, 0, nil, false
	c.sp.Reset()
}

// Next returns the next chunk, or io.EOF after the last one. An error from
// the reader is returned as it is, wrapped; no chunk is lost before it.
func (c *Chunker) Next() (Chunk, error) {
	for {
		if c.scanned < c.w {
			n, cut, found := c.sp.Next(c.buf[c.scanned:c.w])
			c.scanned += n
			if found {
				return c.emit(cut), nil
			}
		}
		if c.err != nil {
			return c.finish()
		}
		c.fill()
	}
}

func (c *Chunker) emit(cut uint64) Chunk {
	ch := Chunk{Start: c.start, Length: c.scanned - c.r, Cut: cut, Data: c.buf[c.r:c.scanned:c.scanned]}
	c.start += uint64(ch.Length)
	c.r = c.scanned
	return ch
}

// finish returns the last chunk at EOF, then io.EOF; other errors as they are.
func (c *Chunker) finish() (Chunk, error) {
	if !errors.Is(c.err, io.EOF) {
		return Chunk{}, fmt.Errorf("read chunk data at offset %d: %w", c.start+uint64(c.w-c.r), c.err)
	}
	if c.done || c.r == c.w {
		c.done = true
		return Chunk{}, io.EOF
	}
	c.done = true
	return c.emit(c.sp.Final()), nil
}

// fill reads more data, first moving the pending chunk to the front if the
// buffer is full, or into a larger buffer if it fills the buffer alone.
func (c *Chunker) fill() {
	if c.w == len(c.buf) {
		buf := c.buf
		if c.r == 0 {
			buf = make([]byte, c.grown())
		}
		n := copy(buf, c.buf[c.r:c.w])
		c.scanned -= c.r
		c.r, c.w, c.buf = 0, n, buf
	}
	n, err := c.rd.Read(c.buf[c.w:])
	c.w += n
	if err != nil {
		c.err = err
	}
}
