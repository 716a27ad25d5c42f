package limit

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
)

func newLocal(t *testing.T) backend.Backend {
	t.Helper()
	be, err := local.Create(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return be
}

func handle() backend.Handle {
	return backend.Handle{Type: backend.PackFile, Name: "00" + string(bytes.Repeat([]byte("a"), 62))}
}

// TestRates: uploads and downloads through a real local backend take as
// long as their size over the rate, whole and correct; transfers at once
// share one budget.
func TestRates(t *testing.T) {
	data := make([]byte, 512<<10)
	rand.Read(data)
	synctest.Test(t, func(t *testing.T) {
		be := New(newLocal(t), 128<<10, 256<<10)
		h := handle()
		start := time.Now()
		if err := be.Save(t.Context(), h, backend.NewByteReader(data)); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 3500*time.Millisecond || took > 4500*time.Millisecond {
			t.Errorf("512 KiB up at 128 KiB/s took %v, want about 4 s", took)
		}
		start = time.Now()
		var got []byte
		err := be.Load(t.Context(), h, 0, 0, func(rd io.Reader) (err error) { got, err = io.ReadAll(rd); return err })
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("load: %v, %d bytes", err, len(got))
		}
		if took := time.Since(start); took < 1500*time.Millisecond || took > 2500*time.Millisecond {
			t.Errorf("512 KiB down at 256 KiB/s took %v, want about 2 s", took)
		}
		start = time.Now()
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				_ = be.Load(t.Context(), h, 0, 0, func(rd io.Reader) error { _, err := io.Copy(io.Discard, rd); return err })
			})
		}
		wg.Wait()
		if took := time.Since(start); took < 3500*time.Millisecond || took > 4500*time.Millisecond {
			t.Errorf("two loads of 512 KiB at once at 256 KiB/s took %v, want about 4 s: one budget", took)
		}
	})
}

func TestCancelledWhileWaiting(t *testing.T) {
	data := make([]byte, 256<<10)
	synctest.Test(t, func(t *testing.T) {
		be := New(newLocal(t), 1<<10, 0)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err := be.Save(ctx, handle(), backend.NewByteReader(data))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("save cut by its context: %v", err)
		}
	})
}

func TestNoLimitIsTheBackend(t *testing.T) {
	be := newLocal(t)
	if New(be, 0, 0) != be {
		t.Error("New without limits wraps the backend")
	}
	// A limited local repository writes packs through Save, not in place.
	fs, ok := backend.AsFileSaver(New(be, 1, 0))
	if !ok {
		t.Fatal("no FileSaver found")
	}
	if f, err := fs.CreateFile(); err == nil {
		f.Close()
		t.Error("a limited backend hands out files to write in place, past the limit")
	}
}
