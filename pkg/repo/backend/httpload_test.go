package backend_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/backend"
)

func TestTotalFromContentRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"bytes 0-9/1234", 1234, true},
		{"bytes 5-5/6", 6, true},
		{" bytes 0-0/1 ", 1, true},
		{"bytes */1234", 1234, true}, // an unsatisfiable range still says the size
		{"bytes 0-9/*", 0, false},
		{"", 0, false},
		{"bytes 0-9", 0, false},
		{"items 0-9/10", 0, false},
		{"bytes 0-9/-1", 0, false},
		{"bytes 0-9/12x", 0, false},
	} {
		got, ok := backend.TotalFromContentRange(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestExactReader(t *testing.T) {
	read := func(ctx context.Context, body string, n int64) (string, error) {
		b, err := io.ReadAll(backend.ExactReader(ctx, strings.NewReader(body), n))
		return string(b), err
	}
	if got, err := read(t.Context(), "hello", 5); got != "hello" || err != nil {
		t.Errorf("exact: %q, %v", got, err)
	}
	if got, err := read(t.Context(), "hello world", 5); got != "hello" || err != nil {
		t.Errorf("longer body: %q, %v; want it cut", got, err)
	}
	if _, err := read(t.Context(), "hel", 5); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v, want io.ErrUnexpectedEOF", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := read(ctx, "hello", 5); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
