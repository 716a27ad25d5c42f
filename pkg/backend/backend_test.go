package backend_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
)

const id = "3f2a6c0d2b5f4e1a9c8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a"

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		h    backend.Handle
		want string
	}{
		{backend.Handle{Type: backend.ConfigFile}, "config"},
		{backend.Handle{Type: backend.KeyFile, Name: id}, "keys/" + id},
		{backend.Handle{Type: backend.PackFile, Name: id}, "data/3f/" + id},
		{backend.Handle{Type: backend.IndexFile, Name: id}, "index/" + id},
		{backend.Handle{Type: backend.SnapshotFile, Name: id}, "snapshots/" + id},
		{backend.Handle{Type: backend.LockFile, Name: id}, "locks/" + id},
	} {
		t.Run(tc.h.Type.String(), func(t *testing.T) {
			if err := tc.h.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := backend.Path(tc.h); got != tc.want {
				t.Fatalf("Path = %q, want %q", got, tc.want)
			}
			if got := tc.h.String(); got != tc.want {
				t.Fatalf("String = %q, want %q", got, tc.want)
			}
		})
	}
	subs := backend.PackSubdirs()
	if len(subs) != 256 || subs[0] != "00" || subs[255] != "ff" || subs[0x3f] != "3f" {
		t.Fatalf("PackSubdirs: %d entries, %v…%v", len(subs), subs[0], subs[len(subs)-1])
	}
}

func TestValidate(t *testing.T) {
	for _, h := range []backend.Handle{
		{Type: backend.ConfigFile, Name: "config"},
		{Type: backend.PackFile, Name: id[:63]},
		{Type: backend.PackFile, Name: id + "0"},
		{Type: backend.PackFile, Name: strings.ToUpper(id)},
		{Type: backend.IndexFile, Name: id[:63] + "g"},
		{Type: backend.SnapshotFile, Name: id + "-tmp-1"},
		{Type: backend.LockFile, Name: ""},
		{Type: 0, Name: id},
		{Type: 42, Name: id},
	} {
		if err := h.Validate(); !errors.Is(err, backend.ErrInvalidHandle) {
			t.Errorf("Validate(%#v) = %v, want ErrInvalidHandle", h, err)
		}
	}
}

func TestSentinelsMatchFS(t *testing.T) {
	err := fmt.Errorf("load x: %w", backend.ErrNotExist)
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, backend.ErrNotExist) {
		t.Fatal("ErrNotExist does not match fs.ErrNotExist")
	}
	if !errors.Is(fmt.Errorf("x: %w", backend.ErrPermission), fs.ErrPermission) {
		t.Fatal("ErrPermission does not match fs.ErrPermission")
	}
	if errors.Is(fs.ErrNotExist, backend.ErrNotExist) {
		t.Fatal("a bare fs.ErrNotExist must be translated by the backend, not match by accident")
	}
}

func TestIsTransient(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{context.Canceled, false},
		{fmt.Errorf("save: %w", context.DeadlineExceeded), false},
		{fmt.Errorf("load: %w", backend.ErrNotExist), false},
		{fmt.Errorf("open: %w", backend.ErrPermission), false},
		{backend.ErrLocationMissing, false},
		{backend.ErrRange, false},
		{backend.MarkTransient(errors.New("503 Slow Down")), true},
		{fmt.Errorf("get: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("put: %w", io.EOF), true},
		{fmt.Errorf("put: %w", opErr), true},
		{syscall.ECONNRESET, true},
		{fmt.Errorf("write: %w", syscall.EPIPE), true},
		{timeoutErr{}, true},
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "nope", IsNotFound: true}}, false},
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving", Name: "h", IsTemporary: true}}, true},
		// A sentinel wins over a transient cause.
		{fmt.Errorf("%w: %w", backend.ErrNotExist, io.EOF), false},
	} {
		if got := backend.IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if backend.MarkTransient(nil) != nil {
		t.Error("MarkTransient(nil) != nil")
	}
	if msg := backend.MarkTransient(errors.New("503")).Error(); msg != "503" {
		t.Errorf("MarkTransient changed the message to %q", msg)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestCheckRange(t *testing.T) {
	for _, tc := range []struct {
		size, length, offset, want int64
		ok                         bool
	}{
		{0, 0, 0, 0, true},
		{10, 0, 0, 10, true},
		{10, 0, 3, 7, true},
		{10, 7, 3, 7, true},
		{10, 1, 9, 1, true},
		{0, 1, 0, 0, false},
		{10, 0, 10, 0, false},
		{10, 1, 10, 0, false},
		{10, 8, 3, 0, false},
		{10, 11, 0, 0, false},
		{10, -1, 0, 0, false},
		{10, 0, -1, 0, false},
	} {
		got, err := backend.CheckRange(tc.size, tc.length, tc.offset)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CheckRange(size %d, length %d, offset %d) = %d, %v", tc.size, tc.length, tc.offset, got, err)
		}
		if err != nil && !errors.Is(err, backend.ErrRange) {
			t.Errorf("error %v does not wrap ErrRange", err)
		}
	}
}

func TestRewindReaders(t *testing.T) {
	data := []byte("hello, world")
	for name, rd := range map[string]backend.RewindReader{
		"bytes": backend.NewByteReader(data),
		"file":  backend.NewFileReader(strings.NewReader(string(data)+"trailing"), int64(len(data))),
	} {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 2; i++ {
				got, err := io.ReadAll(rd)
				if err != nil || string(got) != string(data) || rd.Length() != int64(len(data)) {
					t.Fatalf("pass %d: %q, %v, length %d", i, got, err, rd.Length())
				}
				if err := rd.Rewind(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
