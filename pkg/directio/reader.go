// Package directio reads files once, in large aligned chunks, around the
// kernel's page cache (O_DIRECT). Through the cache the kernel allocates
// and copies every page and evicts the host's working set (a Docker host's
// databases) for data that is never read again; direct reads cost neither.
// drydock reads this way what it reads exactly once: stretches of packs
// being restored, files being backed up.
package directio

import (
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/drydock-backup/drydock/internal/bufpool"
)

const (
	// Align is the offset, length and buffer alignment direct reads need
	// (the largest logical block size in use).
	Align = 4096
	// chunk is the size of one read; a Reader keeps two buffers, one being
	// consumed while the next chunk is read.
	chunk = 2 << 20
)

// bufs keeps enough buffers for the readers a restore (6 of 2 buffers) or
// a backup (4 of 4) has open at once.
var bufs = bufpool.New(24, chunk)

// getBuffer returns a pooled or new aligned buffer of chunk bytes.
func getBuffer() *[]byte {
	b := bufs.Get()
	if cap(*b) < chunk {
		return alignedBuffer(chunk)
	}
	*b = (*b)[:chunk] // a pooled buffer starts where it did: still aligned
	return b
}

// alignedBuffer returns n bytes starting at an Align boundary.
func alignedBuffer(n int) *[]byte {
	b := make([]byte, n+Align)
	skip := -int(uintptr(unsafe.Pointer(&b[0]))) & (Align - 1)
	b = b[skip : skip+n : skip+n]
	return &b
}

// Reader reads a range of a file with O_DIRECT set on its descriptor,
// reading the next chunks while the caller consumes this one: the
// kernel's read-ahead does not apply to direct reads. If the first read
// fails because the file system refuses direct reads after all (EINVAL),
// it clears O_DIRECT and goes on through the cache. Close it before using
// the file otherwise.
type Reader struct {
	f        io.ReaderAt // nil after falling back
	fallback func() io.ReaderAt
	restore  func()     // clears O_DIRECT again
	off, end int64      // the rest of the requested range
	toEOF    bool       // the range ends where the file does
	started  bool       // a direct read succeeded: EINVAL is an error now
	next     int64      // aligned file offset of the next chunk to read
	free     []*[]byte  // buffers no read is using
	bufs     []*[]byte  // every buffer, returned by Close; bufs[0] is the fallback's
	cur      *[]byte    // the buffer avail is in
	pending  []inFlight // chunks being read ahead, in file order
	avail    []byte     // read but not yet returned
}

// inFlight is one chunk being read ahead into buf from pos.
type inFlight struct {
	buf  *[]byte
	pos  int64
	done chan block
}

// block is the result of one aligned read at pos.
type block struct {
	pos  int64
	data []byte
	full bool // as long as asked: the file may go on
	err  error
}

// NewReader returns a reader of n bytes of f from off, or to the end of the
// file if n < 0, with one chunk read ahead. ok is false if f's file system
// does not do direct reads: read f itself then.
func NewReader(f *os.File, off, n int64) (r *Reader, ok bool) {
	return NewReaderAhead(f, off, n, 1)
}

// NewReaderAhead is NewReader with ahead chunks (1 to 4) read ahead at
// once, each holding a buffer of 2 MiB: a file read on its own needs one,
// a file read while the disk serves other reads and writes is read faster
// with more.
func NewReaderAhead(f *os.File, off, n int64, ahead int) (r *Reader, ok bool) {
	if setDirect(f, true) != nil {
		return nil, false
	}
	var once sync.Once
	clearDirect := func() { once.Do(func() { _ = setDirect(f, false) }) }
	fallback := func() io.ReaderAt { clearDirect(); return f }
	return newReader(f, fallback, clearDirect, off, n, ahead), true
}

func newReader(direct io.ReaderAt, fallback func() io.ReaderAt, restore func(), off, n int64, ahead int) *Reader {
	d := &Reader{
		f: direct, fallback: fallback, restore: restore,
		off: off, end: off + n, next: off &^ (Align - 1),
	}
	for range min(max(ahead, 1), 4) + 1 {
		d.bufs = append(d.bufs, getBuffer())
	}
	d.free = slices.Clone(d.bufs)
	if n < 0 {
		d.end, d.toEOF = math.MaxInt64&^(Align-1), true
	}
	return d
}

// Read implements io.Reader.
func (d *Reader) Read(p []byte) (int, error) {
	for len(d.avail) == 0 {
		if d.off >= d.end {
			return 0, io.EOF
		}
		fill := d.fill
		if d.f == nil {
			fill = d.fillBuffered
		}
		if err := fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.avail)
	d.avail = d.avail[n:]
	d.off += int64(n)
	return n, nil
}

// fill takes the oldest chunk read ahead (or reads one), starts reading
// the ones after it into the free buffers, and exposes its part of the
// range.
func (d *Reader) fill() error {
	if d.cur != nil {
		d.free, d.cur = append(d.free, d.cur), nil
	}
	var c block
	at := d.next
	if len(d.pending) > 0 {
		p := d.pending[0]
		d.pending = d.pending[1:]
		c, d.cur, at = <-p.done, p.buf, p.pos
	} else {
		d.cur, d.free = d.free[len(d.free)-1], d.free[:len(d.free)-1]
		if c = d.read(*d.cur, d.next, !d.started); errors.Is(c.err, errNoDirect) {
			d.f = nil
			return d.fillBuffered()
		}
	}
	d.started = true
	if c.err != nil {
		// A Read after the error reads this chunk again.
		d.drain()
		d.next = at
		return c.err
	}
	if !c.full {
		// The end of the file as it was: whatever was read ahead beyond it
		// is empty, and its last block is read again next time (an
		// unaligned offset would fail once the file grows).
		d.drain()
		d.next = (c.pos + int64(len(c.data))) &^ (Align - 1)
	} else if len(d.pending) == 0 {
		d.next = c.pos + int64(len(c.data))
	}
	if c.full {
		d.readAhead()
	}
	lo, hi := d.off-c.pos, min(int64(len(c.data)), d.end-c.pos)
	if hi <= lo {
		return d.endOfFile()
	}
	d.avail = c.data[lo:hi]
	return nil
}

// readAhead starts a read into every free buffer, up to the range's end.
func (d *Reader) readAhead() {
	for len(d.free) > 0 && d.next < d.end {
		buf := d.free[len(d.free)-1]
		d.free = d.free[:len(d.free)-1]
		p := inFlight{buf: buf, pos: d.next, done: make(chan block, 1)}
		go func() { p.done <- d.read(*buf, p.pos, false) }()
		d.pending = append(d.pending, p)
		d.next += int64(len(*buf))
	}
}

// drain waits for the reads ahead and frees their buffers.
func (d *Reader) drain() {
	for _, p := range d.pending {
		<-p.done
		d.free = append(d.free, p.buf)
	}
	d.pending = nil
}

// endOfFile ends a range read to the end of the file; any other range was
// cut short.
func (d *Reader) endOfFile() error {
	if !d.toEOF {
		return io.ErrUnexpectedEOF
	}
	d.end = d.off
	return io.EOF
}

// errNoDirect marks a file system that accepted O_DIRECT but refuses
// direct reads.
var errNoDirect = errors.New("direct reads refused")

// read fills buf from pos up to the aligned end of the range; first marks
// a Reader's first read, which reports EINVAL as errNoDirect. It runs in
// the read-ahead goroutine too, so it reads only fields set at creation.
func (d *Reader) read(buf []byte, pos int64, first bool) block {
	buf = buf[:min(int64(len(buf)), (d.end+Align-1)&^(Align-1)-pos)]
	got := 0
	for got < len(buf) {
		n, err := d.f.ReadAt(buf[got:], pos+int64(got))
		got += n
		// Direct reads return whole blocks but at the end of the file, so
		// an unaligned count is the end; os.File.ReadAt then tries once
		// more at the unaligned offset, whose EINVAL means nothing.
		if got%Align != 0 || errors.Is(err, io.EOF) {
			break
		}
		if isEINVAL(err) && got == 0 && first {
			return block{err: errNoDirect}
		}
		if err != nil {
			return block{err: err}
		}
	}
	return block{pos: pos, data: buf[:got], full: got == len(buf)}
}

// fillBuffered serves the rest of the range through the page cache.
func (d *Reader) fillBuffered() error {
	buf := (*d.bufs[0])[:min(int64(chunk), d.end-d.off)]
	got, err := d.fallback().ReadAt(buf, d.off)
	if got == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return d.endOfFile()
		}
		return err
	}
	d.avail = buf[:got]
	return nil
}

// Close waits for the reads in flight, returns the buffers and clears
// O_DIRECT on the file. The file itself stays open.
func (d *Reader) Close() {
	d.drain()
	for _, b := range d.bufs {
		bufs.Put(b)
	}
	d.bufs, d.free, d.cur, d.avail = nil, nil, nil, nil
	if d.restore != nil {
		d.restore()
	}
}
