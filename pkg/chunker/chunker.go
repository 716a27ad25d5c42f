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
// returned in; it must hold more than MaxSize bytes, or be nil to allocate
// MaxSize plus 1 MiB.
func NewChunker(rd io.Reader, pol Pol, params Params, buf []byte) (*Chunker, error) {
	sp, err := NewSplitter(pol, params)
	if err != nil {
		return nil, err
	}
	if buf == nil {
		buf = make([]byte, sp.p.MaxSize+1<<20)
	}
	if len(buf) <= sp.p.MaxSize {
		return nil, fmt.Errorf("chunker: buffer of %d bytes cannot hold a %d-byte chunk", len(buf), sp.p.MaxSize)
	}
	return &Chunker{rd: rd, sp: sp, buf: buf}, nil
}

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
// buffer is full.
func (c *Chunker) fill() {
	if c.w == len(c.buf) {
		n := copy(c.buf, c.buf[c.r:c.w])
		c.scanned -= c.r
		c.r, c.w = 0, n
	}
	n, err := c.rd.Read(c.buf[c.w:])
	c.w += n
	if err != nil {
		c.err = err
	}
}
