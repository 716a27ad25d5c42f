package backend_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
)

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want backend.ContentRange
		ok   bool
	}{
		{"bytes 0-9/1234", backend.ContentRange{First: 0, Last: 9, Total: 1234}, true},
		{"bytes 5-5/6", backend.ContentRange{First: 5, Last: 5, Total: 6}, true},
		{" bytes 0-0/1 ", backend.ContentRange{First: 0, Last: 0, Total: 1}, true},
		{"bytes 0-9/10", backend.ContentRange{First: 0, Last: 9, Total: 10}, true},     // the whole object
		{"Bytes 0-9/10", backend.ContentRange{First: 0, Last: 9, Total: 10}, true},     // units are case-insensitive
		{"bytes */1234", backend.ContentRange{First: -1, Last: -1, Total: 1234}, true}, // unsatisfiable, with the size
		{"bytes 0-9/*", backend.ContentRange{}, false},
		{"", backend.ContentRange{}, false},
		{"bytes 0-9", backend.ContentRange{}, false},
		{"items 0-9/10", backend.ContentRange{}, false},
		{"bytes 1000-999/1000", backend.ContentRange{First: -1, Last: -1, Total: 1000}, true}, // rclone, past the end
		{"bytes 0--1/0", backend.ContentRange{First: -1, Last: -1, Total: 0}, true},           // rclone, an empty object
		{"bytes 0-9/-1", backend.ContentRange{}, false},
		{"bytes 0-9/12x", backend.ContentRange{}, false},
		{"bytes 0-9/+10", backend.ContentRange{}, false},
		{"bytes 0-9/1234/5", backend.ContentRange{}, false},
		{"bytes 0-9/99999999999999999999", backend.ContentRange{}, false},
		{"bytes 9-0/10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true},  // last before first
		{"bytes 0-10/10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true}, // last past the end
		{"bytes -5-9/10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true}, // negative first
		{"bytes 0-9 /10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true}, // space in the range
		{"bytes a-9/10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true},  // not a number
		{"bytes 0-/10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true},   // no last
		{"bytes  0-9/10", backend.ContentRange{First: -1, Last: -1, Total: 10}, true}, // two spaces
	} {
		got, ok := backend.ParseContentRange(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
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
