package rest_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
)

// inPlaceServer answers like a REST server that writes uploads in place
// (rclone before 1.63): an upload it fails leaves a partial file, which it
// removes only later, or never. The conformance suite runs the failed
// save against rclone; this server, made up and in memory, lets a
// synctest bubble time the settling after it to the nanosecond.
type inPlaceServer struct {
	keep time.Duration // how long a failed upload's partial file stays; <0: for good

	mu      sync.Mutex
	partial map[string]time.Time // path → when the partial file goes
	heads   int                  // looks at the partial file
}

func (s *inPlaceServer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	rec := httptest.NewRecorder()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case req.Method == http.MethodPost && req.URL.RawQuery == "create=true":
	case req.Method == http.MethodPost:
		gone := time.Now().Add(s.keep)
		if s.keep < 0 {
			gone = time.Now().Add(1000 * time.Hour)
		}
		s.partial[req.URL.Path] = gone
		rec.WriteHeader(http.StatusInternalServerError)
	case req.Method == http.MethodHead:
		s.heads++
		if gone, ok := s.partial[req.URL.Path]; ok && time.Now().Before(gone) {
			rec.Header().Set("Content-Length", strconv.Itoa(10))
		} else {
			rec.WriteHeader(http.StatusNotFound)
		}
	default:
		rec.WriteHeader(http.StatusNotFound)
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// TestSettleAfterFailedSave: a failed Save returns once the server has
// shown no partial file for 200 ms, looking every 20 ms: at once for a
// server that leaves none, 200 ms after the partial file went for one that
// removes it late, and after 3 s at most for one that keeps it. A failed
// save of the config, whose older copy may differ in size, does not wait.
func TestSettleAfterFailedSave(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  time.Duration
		typ   backend.FileType
		want  time.Duration
		heads []int // how many looks, one every 20 ms from the start
	}{
		{"no partial file", 0, backend.PackFile, 200 * time.Millisecond, []int{11}},
		{"removed after 1010 ms", 1010 * time.Millisecond, backend.PackFile, 1200 * time.Millisecond, []int{61}},
		// At 3 s the next look and the deadline come at once.
		{"kept", -1, backend.PackFile, 3 * time.Second, []int{151, 152}},
		{"config", -1, backend.ConfigFile, 0, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &inPlaceServer{keep: tc.keep, partial: map[string]time.Time{}}
				u, _ := url.Parse("http://in-memory/repo/")
				be, err := rest.Create(t.Context(), rest.Config{URL: u, Transport: srv})
				if err != nil {
					t.Fatal(err)
				}
				defer be.Close()
				_, id := backendtest.RandomData(t, 1)
				h := backend.Handle{Type: tc.typ, Name: id}
				if tc.typ == backend.ConfigFile {
					h.Name = ""
				}
				start := time.Now()
				err = be.Save(t.Context(), h, backend.NewByteReader(bytes.Repeat([]byte("x"), 100)))
				if err == nil || !strings.Contains(err.Error(), "500") {
					t.Fatalf("save: %v, want the server's 500", err)
				}
				if d := time.Since(start); d != tc.want {
					t.Errorf("save returned after %v, want %v", d, tc.want)
				}
				srv.mu.Lock()
				defer srv.mu.Unlock()
				if !slices.Contains(tc.heads, srv.heads) {
					t.Errorf("looked %d times for a partial file, want %v", srv.heads, tc.heads)
				}
			})
		})
	}
}
