package main

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

func TestPruneAndCopyStatusText(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{repackStatusText(10<<20, 40<<20, 2*time.Second), "repacked 10.0 MiB of 40.0 MiB, 5.0 MiB/s, ETA 6s"},
		{repackStatusText(40<<20, 40<<20, 8*time.Second), "repacked 40.0 MiB of 40.0 MiB, 5.0 MiB/s"},
		{copyStatusText(snapcopy.Progress{}, time.Second), "reading the snapshots' trees to see what the destination lacks"},
		{copyStatusText(snapcopy.Progress{Blobs: 3, TotalBlobs: 12, Bytes: 10 << 20, TotalBytes: 30 << 20}, 2*time.Second),
			"copied 3 of 12 blobs, 10.0 MiB of 30.0 MiB, 5.0 MiB/s, ETA 4s"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}

// TestPruneAndCopyStatusLines: on a terminal the lines are drawn with the
// newest progress even when concurrent workers report out of order, and
// cleared at the end; -q and a stderr that is no terminal get none.
func TestPruneAndCopyStatusLines(t *testing.T) {
	lastDrawn := func(out string) string {
		parts := strings.Split(out, "\r\033[K")
		for i := len(parts) - 1; i >= 0; i-- {
			if parts[i] != "" {
				return parts[i]
			}
		}
		return ""
	}
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		line, update := bytesProgress(&termWriter{f: &out}, false, repackStatusText)
		update(20<<20, 40<<20)
		update(10<<20, 40<<20) // an earlier report arriving late
		time.Sleep(4*time.Second + time.Millisecond)
		line.finish()
		if got := lastDrawn(out.String()); got != "[4s] repacked 20.0 MiB of 40.0 MiB, 5.0 MiB/s, ETA 4s" {
			t.Errorf("prune's last status line %q", got)
		}
		if !strings.HasSuffix(out.String(), "\r\033[K") {
			t.Errorf("the line is not cleared at the end: %q", out.String())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		line, update := copyProgress(&termWriter{f: &out}, false)
		update(snapcopy.Progress{Blobs: 2, TotalBlobs: 4, Bytes: 8 << 20, TotalBytes: 16 << 20})
		update(snapcopy.Progress{Blobs: 1, TotalBlobs: 4, Bytes: 4 << 20, TotalBytes: 16 << 20})
		time.Sleep(2*time.Second + time.Millisecond)
		line.finish()
		if got := lastDrawn(out.String()); got != "[2s] copied 2 of 4 blobs, 8.0 MiB of 16.0 MiB, 4.0 MiB/s, ETA 2s" {
			t.Errorf("copy's last status line %q", got)
		}
	})
	var out strings.Builder
	for name, w := range map[string]struct {
		w     interface{ Write([]byte) (int, error) }
		quiet bool
	}{"quiet": {&termWriter{f: &out}, true}, "no terminal": {&out, false}} {
		if l, u := copyProgress(w.w, w.quiet); l != nil || u != nil {
			t.Errorf("%s: copy has a status line", name)
		}
		if l, u := bytesProgress(w.w, w.quiet, repackStatusText); l != nil || u != nil {
			t.Errorf("%s: prune has a status line", name)
		}
	}
}
