package rest

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// TestRangeBody: a partial answer is checked against the object's size
// first, then against the offset asked for: bytes from elsewhere in the
// object are never handed on as the ones asked for. (The conformance suite
// runs the same path against rclone; a server that answers the wrong range
// is made up here.)
func TestRangeBody(t *testing.T) {
	for _, tc := range []struct {
		name, contentRange string
		length             int64
		offset             int64
		want               string // "" for success, else part of the error
		wantRange          bool   // errors.Is backend.ErrRange
	}{
		{"as asked", "bytes 10-19/100", 10, 10, "", false},
		{"another range", "bytes 0-9/100", 10, 10, "to a request from offset 10", false},
		{"past the end, rclone's form", "bytes 100-99/100", 0, 100, "", true},
		{"no header", "", 10, 10, "without a usable Content-Range", false},
		{"unknown size", "bytes 10-19/*", 10, 10, "without a usable Content-Range", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusPartialContent, Header: http.Header{}, ContentLength: 10,
				Body: io.NopCloser(strings.NewReader("0123456789"))}
			if tc.contentRange != "" {
				resp.Header.Set("Content-Range", tc.contentRange)
			}
			_, n, err := rangeBody(resp, true, tc.length, tc.offset)
			switch {
			case tc.wantRange:
				if !errors.Is(err, backend.ErrRange) {
					t.Fatalf("err %v, want ErrRange", err)
				}
			case tc.want == "":
				if err != nil || n != tc.length {
					t.Fatalf("%d bytes, %v; want %d", n, err, tc.length)
				}
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}
