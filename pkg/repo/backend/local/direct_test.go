package local

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/backend"
)

// TestDirectLoads reads ranges at every alignment through the O_DIRECT
// path and compares them with the file.
func TestDirectLoads(t *testing.T) {
	dir := t.TempDir()
	b, err := Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	b.directMin = 1
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	direct := true
	if f, err := openDirect(probe); err != nil {
		t.Logf("no O_DIRECT in %s (%v): checking the page-cache path only", dir, err)
		direct = false
	} else {
		f.Close()
	}
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, directAlign - 1, directAlign, directAlign + 1, directChunk - 1, directChunk + 3*directAlign + 17, 2*directChunk + 5}
	for i, size := range sizes {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		h := backend.Handle{Type: backend.PackFile, Name: fmt.Sprintf("%064x", i)}
		if err := b.Save(t.Context(), h, backend.NewByteReader(data)); err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, 1, directAlign - 1, directAlign, directAlign + 1, size / 2, size - 1} {
			for _, length := range []int{0, 1, directAlign, directAlign + 1, directChunk + 1, size} {
				if off < 0 || off >= size || off+length > size {
					continue
				}
				want := data[off:]
				if length > 0 {
					want = data[off : off+length]
				}
				var got bytes.Buffer
				err := b.Load(t.Context(), h, length, int64(off), func(rd io.Reader) error {
					if _, ok := rd.(*directReader); ok != (direct && length > 0) {
						t.Fatalf("size %d off %d len %d: direct reader used = %v", size, off, length, ok)
					}
					got.Reset()
					_, err := io.CopyBuffer(&got, struct{ io.Reader }{rd}, make([]byte, 777))
					return err
				})
				if err != nil {
					t.Fatalf("size %d off %d len %d: %v", size, off, length, err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Fatalf("size %d off %d len %d: got %d bytes, want %d (equal prefix: %v)", size, off, length, got.Len(), len(want), bytes.HasPrefix(want, got.Bytes()))
				}
			}
		}
	}
}

// einvalFile refuses every read, as a file system that accepts O_DIRECT at
// open but not for reads does. The real path is TestDirectLoads.
type einvalFile struct{ closed bool }

func (f *einvalFile) ReadAt([]byte, int64) (int, error) { return 0, syscall.EINVAL }
func (f *einvalFile) Close() error                      { f.closed = true; return nil }

func TestDirectFallsBackOnEINVAL(t *testing.T) {
	data := make([]byte, 3*directChunk+100)
	for i := range data {
		data[i] = byte(i * 7)
	}
	bad := &einvalFile{}
	dr := newDirectReader(bad, bytes.NewReader(data), 5, int64(len(data)-10))
	defer dr.close()
	got, err := io.ReadAll(dr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[5:len(data)-5]) || !bad.closed {
		t.Fatalf("fallback read %d bytes (want %d), direct file closed: %v", len(got), len(data)-10, bad.closed)
	}
}
