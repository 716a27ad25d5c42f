package retry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
)

// fast keeps retry tests quick.
var fast = retry.Options{InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsed: 5 * time.Second}

// faulty wraps the real local backend and makes the next N calls of an
// operation fail like a broken connection would.
type faulty struct {
	backend.Backend
	mu    sync.Mutex
	fail  map[string]int // op → failures still to inject
	calls map[string]int // op → calls that reached the wrapper
}

func newFaulty(t *testing.T) *faulty {
	be, err := local.Create(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &faulty{Backend: be, fail: map[string]int{}, calls: map[string]int{}}
}

var errReset = fmt.Errorf("write tcp 127.0.0.1:1->127.0.0.1:2: %w", syscall.ECONNRESET)

// take records a call of op and reports whether it must fail.
func (f *faulty) take(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.fail[op] > 0 {
		f.fail[op]--
		return true
	}
	return false
}

func (f *faulty) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Save consumes part of the input before failing, so a retry that does not
// rewind would store truncated data.
func (f *faulty) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if f.take("save") {
		_, _ = io.CopyN(io.Discard, rd, rd.Length()/2)
		return errReset
	}
	return f.Backend.Save(ctx, h, rd)
}

// Load delivers half the body, then the connection "breaks".
func (f *faulty) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	if f.take("load") {
		return f.Backend.Load(ctx, h, length, offset, func(rd io.Reader) error {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, rd); err != nil {
				return err
			}
			half := io.MultiReader(bytes.NewReader(buf.Bytes()[:buf.Len()/2]), errReader{io.ErrUnexpectedEOF})
			return fn(half)
		})
	}
	return f.Backend.Load(ctx, h, length, offset, fn)
}

func (f *faulty) Stat(ctx context.Context, h backend.Handle) (int64, error) {
	if f.take("stat") {
		return 0, backend.MarkTransient(errors.New("503 Service Unavailable"))
	}
	return f.Backend.Stat(ctx, h)
}

func (f *faulty) Remove(ctx context.Context, h backend.Handle) error {
	if f.take("remove") {
		return errReset
	}
	return f.Backend.Remove(ctx, h)
}

// List reports two names, then the connection breaks.
func (f *faulty) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	if f.take("list") {
		n := 0
		err := f.Backend.List(ctx, t, func(name string, size int64) error {
			if n == 2 {
				return errReset
			}
			n++
			return fn(name, size)
		})
		if err == nil {
			err = errReset
		}
		return err
	}
	return f.Backend.List(ctx, t, fn)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// The decorator keeps the backend contract (real local backend underneath).
func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Instance {
		be, err := local.Create(t.Context(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return backendtest.Instance{Backend: retry.New(be, fast)}
	})
}

// A Save that failed after consuming input is retried from the start.
func TestSaveRetriesAndRewinds(t *testing.T) {
	f := newFaulty(t)
	f.fail["save"] = 2
	be := retry.New(f, fast)
	data, _ := backendtest.RandomData(t, 10000)
	h := backendtest.Save(t, be, backend.PackFile, data)
	got, err := backendtest.LoadAll(t.Context(), f.Backend, h, 0, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after retried save: %d bytes, %v; want the full %d", len(got), err, len(data))
	}
	if c := f.count("save"); c != 3 {
		t.Fatalf("save reached the backend %d times, want 3", c)
	}
}

// A body that breaks midway makes Load run fn again on a fresh reader.
func TestLoadRetriesMidBodyEOF(t *testing.T) {
	f := newFaulty(t)
	data, _ := backendtest.RandomData(t, 10000)
	h := backendtest.Save(t, f.Backend, backend.PackFile, data)
	f.fail["load"] = 1
	be := retry.New(f, fast)
	fnCalls := 0
	var got []byte
	err := be.Load(t.Context(), h, 5000, 100, func(rd io.Reader) error {
		fnCalls++
		var err error
		got, err = io.ReadAll(rd)
		return err
	})
	if err != nil || !bytes.Equal(got, data[100:5100]) {
		t.Fatalf("load: %d bytes, %v", len(got), err)
	}
	if fnCalls != 2 {
		t.Fatalf("fn called %d times, want 2", fnCalls)
	}
}

func TestStatAndRemoveRetry(t *testing.T) {
	f := newFaulty(t)
	data, _ := backendtest.RandomData(t, 10)
	h := backendtest.Save(t, f.Backend, backend.KeyFile, data)
	f.fail["stat"], f.fail["remove"] = 1, 3
	be := retry.New(f, fast)
	if size, err := be.Stat(t.Context(), h); err != nil || size != 10 {
		t.Fatalf("stat: %d, %v", size, err)
	}
	if err := be.Remove(t.Context(), h); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := f.Backend.Stat(t.Context(), h); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("file still there after retried remove: %v", err)
	}
}

// A listing that breaks midway starts over, but fn sees every name once.
func TestListRetryReportsEachNameOnce(t *testing.T) {
	f := newFaulty(t)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		data, _ := backendtest.RandomData(t, 10)
		want[backendtest.Save(t, f.Backend, backend.IndexFile, data).Name] = true
	}
	f.fail["list"] = 1
	got := backendtest.ListNames(t, retry.New(f, fast), backend.IndexFile) // fails on duplicates
	if len(got) != len(want) {
		t.Fatalf("listed %d names, want %d", len(got), len(want))
	}
	// Twice for List (the first broke), once more for the ListNames the
	// helper compares it with (not broken: the fault was used up).
	if c := f.count("list"); c != 3 {
		t.Fatalf("list reached the backend %d times, want 3", c)
	}
}

// Errors from the callback and permanent errors are returned at once.
func TestPermanentErrorsNotRetried(t *testing.T) {
	f := newFaulty(t)
	be := retry.New(f, fast)
	data, _ := backendtest.RandomData(t, 10)
	backendtest.Save(t, f.Backend, backend.LockFile, data)
	stop := errors.New("stop")
	if err := be.List(t.Context(), backend.LockFile, func(string, int64) error { return stop }); err != stop {
		t.Fatalf("list: got %v, want the callback's error unchanged", err)
	}
	_, id := backendtest.RandomData(t, 1)
	missing := backend.Handle{Type: backend.PackFile, Name: id}
	if err := be.Load(t.Context(), missing, 0, 0, func(io.Reader) error { return nil }); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("load missing: %v", err)
	}
	if _, err := be.Stat(t.Context(), missing); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("stat missing: %v", err)
	}
	if c := f.count("list") + f.count("load") + f.count("stat"); c != 3 {
		t.Fatalf("%d backend calls, want 3 (no retries)", c)
	}
}

// A backend that keeps failing is given up on within MaxElapsed, with an
// error naming the file and the attempts and keeping the cause.
func TestGivesUpWithinBudget(t *testing.T) {
	f := newFaulty(t)
	f.fail["save"] = 1 << 30
	be := retry.New(f, retry.Options{InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsed: 300 * time.Millisecond})
	data, id := backendtest.RandomData(t, 10)
	h := backend.Handle{Type: backend.SnapshotFile, Name: id}
	start := time.Now()
	err := be.Save(t.Context(), h, backend.NewByteReader(data))
	elapsed := time.Since(start)
	var rerr *retry.Error
	if !errors.As(err, &rerr) || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("got %v, want *retry.Error wrapping ECONNRESET", err)
	}
	if rerr.Attempts < 3 || rerr.Attempts != f.count("save") {
		t.Errorf("Attempts = %d, backend saw %d calls", rerr.Attempts, f.count("save"))
	}
	for _, s := range []string{"snapshots/" + id, "attempts"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if elapsed > 2*time.Second {
		t.Errorf("gave up after %v, budget 300ms", elapsed)
	}
	t.Logf("%v", err)
}

// ctxBlind passes context.Background() down, like a backend that ignores
// cancellation; the retry layer must still not write after a cancel.
type ctxBlind struct {
	backend.Backend
	saves int
}

func (c *ctxBlind) Save(_ context.Context, h backend.Handle, rd backend.RewindReader) error {
	c.saves++
	return c.Backend.Save(context.Background(), h, rd)
}

func TestNoWritesAfterCancel(t *testing.T) {
	f := newFaulty(t)
	blind := &ctxBlind{Backend: f.Backend}
	be := retry.New(blind, fast)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	data, id := backendtest.RandomData(t, 10)
	h := backend.Handle{Type: backend.PackFile, Name: id}
	if err := be.Save(ctx, h, backend.NewByteReader(data)); !errors.Is(err, context.Canceled) {
		t.Fatalf("save after cancel: %v, want context.Canceled", err)
	}
	if blind.saves != 0 {
		t.Fatalf("backend Save called %d times after cancel", blind.saves)
	}
	if _, err := f.Backend.Stat(t.Context(), h); !errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("file written after cancel: %v", err)
	}
}

// Cancelling while waiting between attempts returns at once, after one
// attempt (in a bubble: the cancel comes at exactly 200 ms).
func TestCancelDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFaulty(t)
		f.fail["save"] = 1 << 30
		be := retry.New(f, retry.Options{InitialInterval: 10 * time.Second, MaxElapsed: time.Minute})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		data, id := backendtest.RandomData(t, 10)
		start := time.Now()
		err := be.Save(ctx, backend.Handle{Type: backend.PackFile, Name: id}, backend.NewByteReader(data))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 200*time.Millisecond {
			t.Fatalf("returned after %v, want at the cancel (200ms)", d)
		}
		if c := f.count("save"); c != 1 {
			t.Fatalf("%d attempts, want 1", c)
		}
	})
}

// TestWindowCapsRetries: a call made under an open window gives up at the
// window's cap, far inside the policy's budget; once the window is closed,
// the same context retries under the policy again (the outage ends after a
// few failures and the call succeeds).
func TestWindowCapsRetries(t *testing.T) {
	f := newFaulty(t)
	f.fail["save"] = 1 << 30
	be := retry.New(f, retry.Options{InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsed: time.Minute})
	w := retry.NewWindow(200 * time.Millisecond)
	ctx := retry.WithWindow(context.WithoutCancel(t.Context()), w)
	data, id := backendtest.RandomData(t, 10)
	h := backend.Handle{Type: backend.SnapshotFile, Name: id}
	start := time.Now()
	err := be.Save(ctx, h, backend.NewByteReader(data))
	var rerr *retry.Error
	if !errors.As(err, &rerr) || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("got %v, want *retry.Error wrapping ECONNRESET", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("gave up after %v, window 200ms (policy 1m)", elapsed)
	}

	w.Close()
	f.mu.Lock()
	f.fail["save"] = 30 // ~1.5 s of failures: past the window, inside the policy
	f.mu.Unlock()
	if err := be.Save(ctx, h, backend.NewByteReader(data)); err != nil {
		t.Fatalf("save after the window closed: %v", err)
	}
}
