package directio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestReaderRanges reads ranges at every alignment, and to the end of the
// file, through O_DIRECT and compares them with the file.
func TestReaderRanges(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, Align - 1, Align, Align + 1, chunk - 1, chunk, chunk + 3*Align + 17, 2*chunk + 5, 5*chunk + Align + 3}
	for _, size := range sizes {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		name := filepath.Join(dir, fmt.Sprint(size))
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, 1, Align - 1, Align, Align + 1, size / 2, size - 1} {
			for _, length := range []int{-1, 0, 1, Align, Align + 1, chunk + 1, size} {
				if off < 0 || off > size || length >= 0 && off+length > size {
					continue
				}
				want := data[off:]
				if length >= 0 {
					want = data[off : off+length]
				}
				for _, ahead := range []int{1, 3} {
					d, ok := NewReaderAhead(f, int64(off), int64(length), ahead)
					if !ok {
						t.Skipf("no O_DIRECT in %s", dir)
					}
					got, err := io.ReadAll(struct{ io.Reader }{d})
					if d.f == nil && len(want) > 0 { // pooled buffers stay aligned
						t.Fatalf("size %d off %d len %d: fell back to reads through the cache", size, off, length)
					}
					d.Close()
					if err != nil {
						t.Fatalf("size %d off %d len %d ahead %d: %v", size, off, length, ahead, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("size %d off %d len %d ahead %d: got %d bytes, want %d", size, off, length, ahead, len(got), len(want))
					}
				}
			}
		}
		// Close cleared O_DIRECT: an unaligned plain read works again.
		if _, err := f.ReadAt(make([]byte, 3), 1); size > 4 && err != nil {
			t.Fatalf("read after Close: %v", err)
		}
		f.Close()
	}
}

// TestReaderShortFile: a range beyond the end of a file that shrank is an
// error, not a silently short read.
func TestReaderShortFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 3*Align), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, ok := NewReader(f, 100, 5*Align)
	if !ok {
		t.Skip("no O_DIRECT")
	}
	defer d.Close()
	if _, err := io.ReadAll(d); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
}

// einvalFile refuses every read, as a file system that accepts O_DIRECT but
// not direct reads does. The real path is TestReaderRanges.
type einvalFile struct{}

func (einvalFile) ReadAt([]byte, int64) (int, error) { return 0, syscall.EINVAL }

func TestReaderFallsBackOnEINVAL(t *testing.T) {
	data := make([]byte, 3*chunk+100)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, n := range []int64{int64(len(data) - 10), -1} {
		restored := false
		d := newReader(einvalFile{}, func() io.ReaderAt { return bytes.NewReader(data) }, func() { restored = true }, 5, n, 1)
		got, err := io.ReadAll(d)
		d.Close()
		want := data[5:]
		if n >= 0 {
			want = data[5 : 5+n]
		}
		if err != nil || !bytes.Equal(got, want) || !restored {
			t.Fatalf("n %d: fallback read %d bytes (want %d), err %v, O_DIRECT cleared: %v", n, len(got), len(want), err, restored)
		}
	}
}

// TestReaderFileGrowsWhileRead: a file read to its end that grows after
// the reader reached an unaligned end is read on, new bytes included (a
// log being appended to while it is backed up), and an unchanged one ends
// cleanly.
func TestReaderFileGrowsWhileRead(t *testing.T) {
	for i, size := range []int{5000, 2*chunk + 5000, 3 * Align, 5000, 2*chunk + 5000, 3 * Align} {
		ahead := 1 + 2*(i/3) // each size with 1 and with 3 chunks read ahead
		name := filepath.Join(t.TempDir(), "log")
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*13 + 1)
		}
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := NewReaderAhead(f, 0, -1, ahead)
		if !ok {
			t.Skip("no O_DIRECT")
		}
		first := make([]byte, size)
		if _, err := io.ReadFull(d, first); err != nil || !bytes.Equal(first, data) {
			t.Fatalf("size %d: first part: %v", size, err)
		}
		extra := bytes.Repeat([]byte("appended "), 1111)
		w, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(extra); err != nil {
			t.Fatal(err)
		}
		w.Close()
		rest, err := io.ReadAll(d)
		d.Close()
		f.Close()
		if err != nil || !bytes.Equal(rest, extra) {
			t.Fatalf("size %d: after growing: %d bytes, %v; want the %d appended", size, len(rest), err, len(extra))
		}
	}
}

// failingOnce is a file whose read at one offset fails the first time.
type failingOnce struct {
	data   []byte
	failAt int64
	failed atomic.Bool
}

var errTransient = errors.New("transient read error")

func (f *failingOnce) ReadAt(p []byte, off int64) (int, error) {
	if off == f.failAt && !f.failed.Swap(true) {
		return 0, errTransient
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestReaderReadsAgainAfterError: a read that failed, ahead or not, is
// reported, and the next Read reads that chunk again: the caller that
// goes on gets every byte, in order.
func TestReaderReadsAgainAfterError(t *testing.T) {
	data := make([]byte, 5*chunk+Align)
	for i := range data {
		data[i] = byte(i/Align + i)
	}
	for _, ahead := range []int{1, 3} {
		for _, failAt := range []int64{0, chunk, 3 * chunk, 5 * chunk} {
			f := &failingOnce{data: data, failAt: failAt}
			d := newReader(f, func() io.ReaderAt { return f }, nil, 0, -1, ahead)
			var got []byte
			buf := make([]byte, 100<<10)
			errs := 0
			for {
				n, err := d.Read(buf)
				got = append(got, buf[:n]...)
				if errors.Is(err, errTransient) {
					errs++
					continue
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("ahead %d, failing at %d: %v", ahead, failAt, err)
				}
			}
			d.Close()
			if errs != 1 || !bytes.Equal(got, data) {
				t.Errorf("ahead %d, failing at %d: %d errors, %d of %d bytes, equal %v", ahead, failAt, errs, len(got), len(data), bytes.Equal(got, data))
			}
		}
	}
}
