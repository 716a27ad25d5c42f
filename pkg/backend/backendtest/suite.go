// Package backendtest is the conformance suite every backend.Backend must
// pass. The same tests run against the local backend (in t.TempDir()) and
// against S3 on a real MinIO server, with and without a key prefix.
package backendtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Instance is a fresh, empty repository location under test.
type Instance struct {
	Backend backend.Backend
	// PutRaw stores data at relPath (slash-separated, relative to the
	// repository root) bypassing Backend, to plant files a crashed or
	// foreign writer could leave. Nil skips the tests that need it.
	PutRaw func(relPath string, data []byte) error
}

// Run runs the conformance suite. newInstance must return an empty
// repository location each time; it should register its cleanup with t.
func Run(t *testing.T, newInstance func(t *testing.T) Instance) {
	tests := []struct {
		name string
		fn   func(*testing.T, Instance)
	}{
		{"SaveLoad", testSaveLoad},
		{"LoadRange", testLoadRange},
		{"LoadFnError", testLoadFnError},
		{"NotExist", testNotExist},
		{"InvalidHandle", testInvalidHandle},
		{"List", testList},
		{"ListStopsOnError", testListStopsOnError},
		{"ListIgnoresForeignNames", testListIgnoresForeignNames},
		{"Remove", testRemove},
		{"Overwrite", testOverwrite},
		{"ShortInput", testShortInput},
		{"ConcurrentSaves", testConcurrentSaves},
		{"CancelBeforeSave", testCancelBeforeSave},
		{"CancelDuringSave", testCancelDuringSave},
		{"CancelledLoad", testCancelledLoad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := newInstance(t)
			t.Cleanup(func() {
				if err := inst.Backend.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			tc.fn(t, inst)
		})
	}
}

// RandomData returns n random bytes and the ID (SHA-256) naming them.
func RandomData(t testing.TB, n int) ([]byte, string) {
	t.Helper()
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	return buf, ID(buf)
}

// ID returns the hex SHA-256 of data, the name restic gives it.
func ID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Save stores data under a handle of type ft named by its hash and returns
// the handle.
func Save(t testing.TB, be backend.Backend, ft backend.FileType, data []byte) backend.Handle {
	t.Helper()
	h := backend.Handle{Type: ft, Name: ID(data)}
	if ft == backend.ConfigFile {
		h.Name = ""
	}
	if err := be.Save(context.Background(), h, backend.NewByteReader(data)); err != nil {
		t.Fatalf("save %v: %v", h, err)
	}
	return h
}

// LoadAll returns the whole content of h.
func LoadAll(ctx context.Context, be backend.Backend, h backend.Handle, length int, offset int64) ([]byte, error) {
	var got []byte
	err := be.Load(ctx, h, length, offset, func(rd io.Reader) error {
		var err error
		got, err = io.ReadAll(rd)
		return err
	})
	return got, err
}

// ListNames returns the names listed for ft with their sizes; a name listed
// twice fails the test, and so does a backend.NameLister whose ListNames
// does not name the same files.
func ListNames(t testing.TB, be backend.Backend, ft backend.FileType) map[string]int64 {
	t.Helper()
	got := make(map[string]int64)
	err := be.List(context.Background(), ft, func(name string, size int64) error {
		if _, dup := got[name]; dup {
			return fmt.Errorf("name %s listed twice", name)
		}
		got[name] = size
		return nil
	})
	if err != nil {
		t.Fatalf("list %v: %v", ft, err)
	}
	if nl, ok := be.(backend.NameLister); ok {
		var names []string
		if err := nl.ListNames(context.Background(), ft, func(name string) error {
			names = append(names, name)
			return nil
		}); err != nil {
			t.Fatalf("list names of %v: %v", ft, err)
		}
		slices.Sort(names)
		if want := slices.Sorted(maps.Keys(got)); !slices.Equal(names, want) {
			t.Errorf("ListNames of %v: %v, List names %v", ft, names, want)
		}
	}
	return got
}

func testSaveLoad(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx := context.Background()
	for _, ft := range append([]backend.FileType{backend.ConfigFile}, backend.ListableTypes...) {
		for _, n := range []int{0, 1, 4095, 1<<20 + 3} {
			t.Run(fmt.Sprintf("%v/%d", ft, n), func(t *testing.T) {
				data, _ := RandomData(t, n)
				h := Save(t, be, ft, data)
				got, err := LoadAll(ctx, be, h, 0, 0)
				if err != nil {
					t.Fatalf("load %v: %v", h, err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("load %v: got %d bytes, want the %d saved", h, len(got), len(data))
				}
				size, err := be.Stat(ctx, h)
				if err != nil || size != int64(n) {
					t.Fatalf("stat %v = %d, %v; want %d", h, size, err, n)
				}
			})
		}
	}
}

func testLoadRange(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx := context.Background()
	data, _ := RandomData(t, 1000)
	h := Save(t, be, backend.PackFile, data)
	for _, tc := range []struct {
		length int
		offset int64
	}{
		{0, 0}, {1, 0}, {1000, 0}, {0, 1}, {0, 999}, {10, 500}, {500, 500}, {1, 999}, {999, 1},
	} {
		got, err := LoadAll(ctx, be, h, tc.length, tc.offset)
		if err != nil {
			t.Errorf("load length %d offset %d: %v", tc.length, tc.offset, err)
			continue
		}
		end := int64(len(data))
		if tc.length > 0 {
			end = tc.offset + int64(tc.length)
		}
		if !bytes.Equal(got, data[tc.offset:end]) {
			t.Errorf("load length %d offset %d: got %d bytes, wrong content", tc.length, tc.offset, len(got))
		}
	}
	for _, tc := range []struct {
		length int
		offset int64
	}{
		{0, 1000}, {1, 1000}, {0, 5000}, {2, 999}, {1001, 0}, {100, 950}, {-1, 0}, {0, -1},
	} {
		called := false
		err := be.Load(ctx, h, tc.length, tc.offset, func(io.Reader) error { called = true; return nil })
		if !errors.Is(err, backend.ErrRange) {
			t.Errorf("load length %d offset %d past EOF: got %v, want ErrRange", tc.length, tc.offset, err)
		}
		if called {
			t.Errorf("load length %d offset %d past EOF: fn was called", tc.length, tc.offset)
		}
	}
	empty := Save(t, be, backend.IndexFile, nil)
	if got, err := LoadAll(ctx, be, empty, 0, 0); err != nil || len(got) != 0 {
		t.Errorf("load empty file: %d bytes, %v", len(got), err)
	}
	if _, err := LoadAll(ctx, be, empty, 1, 0); !errors.Is(err, backend.ErrRange) {
		t.Errorf("load 1 byte of empty file: got %v, want ErrRange", err)
	}
}

func testLoadFnError(t *testing.T, inst Instance) {
	data, _ := RandomData(t, 100)
	h := Save(t, inst.Backend, backend.SnapshotFile, data)
	sentinel := errors.New("callback failed")
	err := inst.Backend.Load(context.Background(), h, 0, 0, func(io.Reader) error { return sentinel })
	if !errors.Is(err, sentinel) {
		t.Fatalf("load returned %v, want the callback's error", err)
	}
}

func testNotExist(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx := context.Background()
	_, id := RandomData(t, 10)
	for _, h := range []backend.Handle{{Type: backend.ConfigFile}, {Type: backend.PackFile, Name: id}, {Type: backend.LockFile, Name: id}} {
		_, err := be.Stat(ctx, h)
		if !errors.Is(err, backend.ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat missing %v: got %v, want ErrNotExist", h, err)
		}
		called := false
		err = be.Load(ctx, h, 0, 0, func(io.Reader) error { called = true; return nil })
		if !errors.Is(err, backend.ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("load missing %v: got %v, want ErrNotExist", h, err)
		}
		if called {
			t.Errorf("load missing %v: fn was called", h)
		}
		if backend.IsTransient(err) {
			t.Errorf("load missing %v: error classified transient: %v", h, err)
		}
	}
}

func testInvalidHandle(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx := context.Background()
	_, id := RandomData(t, 10)
	bad := []backend.Handle{
		{Type: backend.PackFile, Name: "abc"},
		{Type: backend.PackFile, Name: id + "-tmp-123"},
		{Type: backend.KeyFile, Name: "../" + id[3:]},
		{Type: backend.IndexFile, Name: ""},
		{Type: backend.ConfigFile, Name: "config"},
		{Type: 0, Name: id},
	}
	for _, h := range bad {
		if err := be.Save(ctx, h, backend.NewByteReader([]byte("x"))); !errors.Is(err, backend.ErrInvalidHandle) {
			t.Errorf("save %#v: got %v, want ErrInvalidHandle", h, err)
		}
		if _, err := be.Stat(ctx, h); !errors.Is(err, backend.ErrInvalidHandle) {
			t.Errorf("stat %#v: got %v, want ErrInvalidHandle", h, err)
		}
	}
	if err := be.List(ctx, backend.ConfigFile, func(string, int64) error { return nil }); !errors.Is(err, backend.ErrInvalidHandle) {
		t.Errorf("list config: got %v, want ErrInvalidHandle", err)
	}
}

func testList(t *testing.T, inst Instance) {
	be := inst.Backend
	for _, ft := range backend.ListableTypes {
		if got := ListNames(t, be, ft); len(got) != 0 {
			t.Fatalf("list %v on empty repository: %v", ft, got)
		}
	}
	Save(t, be, backend.ConfigFile, []byte("config"))
	want := make(map[backend.FileType]map[string]int64)
	for _, ft := range backend.ListableTypes {
		want[ft] = make(map[string]int64)
		for i := 0; i < 5; i++ {
			data, _ := RandomData(t, 10+i)
			h := Save(t, be, ft, data)
			want[ft][h.Name] = int64(len(data))
		}
	}
	for _, ft := range backend.ListableTypes {
		got := ListNames(t, be, ft)
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want[ft])) {
			t.Errorf("list %v:\n got %v\nwant %v", ft, sorted(got), sorted(want[ft]))
		}
	}
}

func sorted(m map[string]int64) []string {
	var s []string
	for k, v := range m {
		s = append(s, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(s)
	return s
}

func testListStopsOnError(t *testing.T, inst Instance) {
	be := inst.Backend
	for i := 0; i < 3; i++ {
		data, _ := RandomData(t, 10)
		Save(t, be, backend.PackFile, data)
	}
	stop := errors.New("stop")
	calls := 0
	err := be.List(context.Background(), backend.PackFile, func(string, int64) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("list with failing callback: err %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func testListIgnoresForeignNames(t *testing.T, inst Instance) {
	if inst.PutRaw == nil {
		t.Skip("backend offers no raw access")
	}
	be := inst.Backend
	data, id := RandomData(t, 20)
	pack := Save(t, be, backend.PackFile, data)
	snap := Save(t, be, backend.SnapshotFile, data)
	for _, rel := range []string{
		"data/" + id[:2] + "/" + id + "-tmp-123", // interrupted local write
		"data/" + id,                             // pack outside a subdirectory
		"data/" + id[:2] + "/README",
		"data/" + id[:2] + "/x/" + id, // too deep
		"snapshots/" + id + "-tmp-456",
		"snapshots/" + id[:63],
		"snapshots/" + id[:63] + "G",
		"snapshots/sub/" + id, // snapshots are not in subdirectories
		"keys/not-an-id",
		"index/" + bytesUpper(id),
	} {
		if err := inst.PutRaw(rel, []byte("junk")); err != nil {
			t.Fatalf("plant %s: %v", rel, err)
		}
	}
	if got := ListNames(t, be, backend.PackFile); len(got) != 1 || got[pack.Name] != 20 {
		t.Errorf("list packs: %v, want only %s", got, pack.Name)
	}
	if got := ListNames(t, be, backend.SnapshotFile); len(got) != 1 || got[snap.Name] != 20 {
		t.Errorf("list snapshots: %v, want only %s", got, snap.Name)
	}
	for _, ft := range []backend.FileType{backend.KeyFile, backend.IndexFile, backend.LockFile} {
		if got := ListNames(t, be, ft); len(got) != 0 {
			t.Errorf("list %v: %v, want nothing", ft, got)
		}
	}
}

func bytesUpper(s string) string { return string(bytes.ToUpper([]byte(s))) }

func testRemove(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx := context.Background()
	data, _ := RandomData(t, 100)
	h := Save(t, be, backend.PackFile, data)
	keep := Save(t, be, backend.PackFile, data[:50])
	if err := be.Remove(ctx, h); err != nil {
		t.Fatalf("remove %v: %v", h, err)
	}
	if _, err := be.Stat(ctx, h); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("stat after remove: got %v, want ErrNotExist", err)
	}
	if got := ListNames(t, be, backend.PackFile); len(got) != 1 || got[keep.Name] != 50 {
		t.Fatalf("list after remove: %v, want only %s", got, keep.Name)
	}
	if err := be.Remove(ctx, h); err != nil {
		t.Fatalf("second remove of %v: %v, want nil (idempotent)", h, err)
	}
	cfg := Save(t, be, backend.ConfigFile, []byte("c"))
	if err := be.Remove(ctx, cfg); err != nil {
		t.Fatalf("remove config: %v", err)
	}
}

func testOverwrite(t *testing.T, inst Instance) {
	be := inst.Backend
	data, _ := RandomData(t, 100)
	h := Save(t, be, backend.IndexFile, data)
	Save(t, be, backend.IndexFile, data)
	got, err := LoadAll(context.Background(), be, h, 0, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("load after saving twice: %d bytes, %v", len(got), err)
	}
	// The config is the one name whose content can change.
	Save(t, be, backend.ConfigFile, []byte("one"))
	cfg := Save(t, be, backend.ConfigFile, []byte("two!"))
	if got, err := LoadAll(context.Background(), be, cfg, 0, 0); err != nil || string(got) != "two!" {
		t.Fatalf("config after replace: %q, %v", got, err)
	}
}

// shortReader claims more bytes than it delivers. It is deliberately not
// an io.ReaderAt, so backends have to use Read.
type shortReader struct {
	r     *bytes.Reader
	claim int64
}

func (s shortReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s shortReader) Rewind() error { _, err := s.r.Seek(0, io.SeekStart); return err }

func (s shortReader) Length() int64 { return s.claim }

func testShortInput(t *testing.T, inst Instance) {
	be := inst.Backend
	data, id := RandomData(t, 100)
	h := backend.Handle{Type: backend.PackFile, Name: id}
	err := be.Save(context.Background(), h, shortReader{bytes.NewReader(data[:50]), 100})
	if err == nil {
		t.Fatal("save with a reader shorter than its Length succeeded")
	}
	if _, err := be.Stat(context.Background(), h); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("after a failed save: stat %v, want ErrNotExist (no partial file)", err)
	}
	if got := ListNames(t, be, backend.PackFile); len(got) != 0 {
		t.Fatalf("after a failed save, list shows %v", got)
	}
}

func testConcurrentSaves(t *testing.T, inst Instance) {
	be := inst.Backend
	const n = 24
	want := make(map[string][]byte)
	for i := 0; i < n; i++ {
		data, id := RandomData(t, 1000+i*517)
		want[id] = data
	}
	g, ctx := errgroup.WithContext(context.Background())
	for id, data := range want {
		g.Go(func() error {
			return be.Save(ctx, backend.Handle{Type: backend.PackFile, Name: id}, backend.NewByteReader(data))
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent saves: %v", err)
	}
	got := ListNames(t, be, backend.PackFile)
	if len(got) != n {
		t.Fatalf("listed %d packs, want %d", len(got), n)
	}
	g, ctx = errgroup.WithContext(context.Background())
	for id, data := range want {
		g.Go(func() error {
			b, err := LoadAll(ctx, be, backend.Handle{Type: backend.PackFile, Name: id}, 0, 0)
			if err != nil {
				return err
			}
			if !bytes.Equal(b, data) || got[id] != int64(len(data)) {
				return fmt.Errorf("pack %s: content or listed size differs", id)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent loads: %v", err)
	}
}

func testCancelBeforeSave(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data, id := RandomData(t, 100)
	h := backend.Handle{Type: backend.LockFile, Name: id}
	if err := be.Save(ctx, h, backend.NewByteReader(data)); !errors.Is(err, context.Canceled) {
		t.Fatalf("save with cancelled ctx: got %v, want context.Canceled", err)
	}
	if _, err := be.Stat(context.Background(), h); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("after cancelled save: stat %v, want ErrNotExist", err)
	}
}

// cancellingReader cancels its context once half the data has been read.
type cancellingReader struct {
	backend.RewindReader
	cancel func()
	read   int64
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.read >= c.Length()/2 {
		c.cancel()
	}
	n, err := c.RewindReader.Read(p[:min(len(p), 4096)])
	c.read += int64(n)
	return n, err
}

func (c *cancellingReader) Rewind() error { c.read = 0; return c.RewindReader.Rewind() }

func testCancelDuringSave(t *testing.T, inst Instance) {
	be := inst.Backend
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data, id := RandomData(t, 1<<20)
	h := backend.Handle{Type: backend.PackFile, Name: id}
	rd := &cancellingReader{RewindReader: backend.NewFileReader(bytes.NewReader(data), int64(len(data))), cancel: cancel}
	if err := be.Save(ctx, h, rd); err == nil {
		t.Fatal("save whose ctx was cancelled midway succeeded")
	}
	if _, err := be.Stat(context.Background(), h); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("after cancelled save: stat %v, want ErrNotExist", err)
	}
	if got := ListNames(t, be, backend.PackFile); len(got) != 0 {
		t.Fatalf("after cancelled save, list shows %v", got)
	}
}

func testCancelledLoad(t *testing.T, inst Instance) {
	be := inst.Backend
	data, _ := RandomData(t, 100)
	h := Save(t, be, backend.PackFile, data)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := be.Load(ctx, h, 0, 0, func(io.Reader) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("load with cancelled ctx: err %v, fn called %v; want context.Canceled without calling fn", err, called)
	}
	err = be.List(ctx, backend.PackFile, func(string, int64) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("list with cancelled ctx: err %v, fn called %v; want context.Canceled without calling fn", err, called)
	}
}

// Copy copies every file of src (config, keys, packs, indexes, snapshots,
// locks) to dst byte for byte through the Backend interface, and returns
// how many files it copied.
func Copy(ctx context.Context, dst, src backend.Backend) (int, error) {
	n := 0
	cp := func(h backend.Handle) error {
		var buf []byte
		err := src.Load(ctx, h, 0, 0, func(rd io.Reader) error {
			var err error
			buf, err = io.ReadAll(rd)
			return err
		})
		if err != nil {
			return err
		}
		n++
		return dst.Save(ctx, h, backend.NewByteReader(buf))
	}
	if err := cp(backend.Handle{Type: backend.ConfigFile}); err != nil {
		return n, err
	}
	for _, ft := range backend.ListableTypes {
		var names []string
		if err := src.List(ctx, ft, func(name string, _ int64) error {
			names = append(names, name)
			return nil
		}); err != nil {
			return n, err
		}
		for _, name := range names {
			if err := cp(backend.Handle{Type: ft, Name: name}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
