package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// TestHeldOutput: what a listing command prints while its lock is
// unconfirmed reaches stdout only once the second check has passed, and
// never if the check finds a conflicting lock written in the wait.
func TestHeldOutput(t *testing.T) {
	early := repo.LockMode{Early: true}
	t.Run("shown once confirmed", func(t *testing.T) {
		r, _ := repotest.New(t, 2, repo.Options{})
		var out bytes.Buffer
		err := r.WithLock(t.Context(), early, func(ctx context.Context, l *repo.Lock) error {
			h := holdOutput(ctx, &out, l)
			if _, err := h.Write([]byte("first\n")); err != nil {
				t.Fatal(err)
			}
			if err := h.release(); err != nil {
				t.Fatalf("release: %v", err)
			}
			if _, err := h.Write([]byte("second\n")); err != nil {
				t.Fatal(err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "first\nsecond\n" {
			t.Fatalf("stdout %q, want both lines in order", got)
		}
	})
	t.Run("batched once confirmed", func(t *testing.T) {
		r, _ := repotest.New(t, 2, repo.Options{})
		var out writeCounter
		err := r.WithLock(t.Context(), early, func(ctx context.Context, l *repo.Lock) error {
			h := holdOutput(ctx, &out, l)
			if err := l.Confirmed(ctx); err != nil {
				t.Fatal(err)
			}
			for i := range 1000 {
				fmt.Fprintf(h, "line %d\n", i)
			}
			return h.release()
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), "line 0\nline 1\n") || !strings.HasSuffix(out.String(), "line 999\n") {
			t.Fatalf("stdout %.40q...: lines lost or out of order", out.String())
		}
		if out.writes > 100 {
			t.Fatalf("1000 lines took %d writes: not batched", out.writes)
		}
	})
	t.Run("dropped when the check fails", func(t *testing.T) {
		r, _ := repotest.New(t, 2, repo.Options{})
		var out bytes.Buffer
		err := r.WithLock(t.Context(), early, func(ctx context.Context, l *repo.Lock) error {
			h := holdOutput(ctx, &out, l)
			if _, err := h.Write([]byte("listing\n")); err != nil {
				t.Fatal(err)
			}
			repotest.SaveLock(t, r, repotest.OtherExclusive())
			err := h.release()
			if !errors.Is(err, repo.ErrLocked) {
				t.Fatalf("release with an exclusive lock written in the wait: %v, want ErrLocked", err)
			}
			if _, werr := h.Write([]byte("more\n")); !errors.Is(werr, repo.ErrLocked) {
				t.Fatalf("a write after the failed check: %v, want ErrLocked", werr)
			}
			return err
		})
		if !errors.Is(err, repo.ErrLocked) {
			t.Fatalf("WithLock: %v, want ErrLocked", err)
		}
		if out.Len() != 0 {
			t.Fatalf("printed %q under a lock that was not obtained", out.String())
		}
	})
}

// writeCounter is a buffer that counts the writes it gets.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}
