package backend

import (
	"bytes"
	"fmt"
	"io"
)

// RewindReader is the input of Backend.Save: a reader that knows its length
// and can start over, so that a failed upload can be resent.
type RewindReader interface {
	io.Reader
	// Rewind seeks back to the first byte.
	Rewind() error
	// Length is the total number of bytes, independent of the position.
	Length() int64
}

// ByteReader is a RewindReader over a byte slice. It also implements
// io.ReaderAt, which lets backends read it without copying.
type ByteReader struct {
	*bytes.Reader
	buf []byte
}

var (
	_ RewindReader = (*ByteReader)(nil)
	_ io.ReaderAt  = (*ByteReader)(nil)
)

// NewByteReader returns a RewindReader over buf. buf must not be modified
// until the reader is no longer used.
func NewByteReader(buf []byte) *ByteReader {
	return &ByteReader{Reader: bytes.NewReader(buf), buf: buf}
}

// Rewind seeks back to the start of the buffer.
func (b *ByteReader) Rewind() error {
	_, err := b.Seek(0, io.SeekStart)
	return err
}

// Length returns len(buf).
func (b *ByteReader) Length() int64 { return int64(len(b.buf)) }

// Bytes returns the underlying buffer.
func (b *ByteReader) Bytes() []byte { return b.buf }

// FileReader is a RewindReader over a section of an io.ReaderAt, such as an
// *os.File holding a finished pack.
type FileReader struct {
	*io.SectionReader
}

var _ RewindReader = FileReader{}

// NewFileReader returns a RewindReader over the first size bytes of r.
func NewFileReader(r io.ReaderAt, size int64) FileReader {
	return FileReader{io.NewSectionReader(r, 0, size)}
}

// Rewind seeks back to the start of the section.
func (f FileReader) Rewind() error {
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// Length returns the size of the section.
func (f FileReader) Length() int64 { return f.Size() }

// CheckRange validates a Load request for length bytes at offset against a
// file of size bytes and returns how many bytes to read. Length 0 means up to
// the end. The whole of an empty file (offset 0, length 0) is a valid range;
// otherwise the range must start inside the file and not extend past its
// end. Errors wrap ErrRange.
func CheckRange(size, length, offset int64) (int64, error) {
	switch {
	case offset < 0 || length < 0:
		return 0, fmt.Errorf("%w: negative offset %d or length %d", ErrRange, offset, length)
	case offset == 0 && length == 0:
		return size, nil
	case offset >= size:
		return 0, fmt.Errorf("%w: offset %d is at or past the end of the %d-byte file", ErrRange, offset, size)
	case length == 0:
		return size - offset, nil
	case length > size-offset:
		return 0, fmt.Errorf("%w: %d bytes at offset %d extend past the end of the %d-byte file", ErrRange, length, offset, size)
	}
	return length, nil
}
