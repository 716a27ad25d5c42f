package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// drydock collects garbage at 50% heap growth unless the user chose GOGC.
func TestCollectGarbageSooner(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		gogc string
		want int
	}{{"", 50}, {"200", 100}, {"off", 100}} {
		t.Setenv("GOGC", tc.gogc)
		debug.SetGCPercent(100)
		collectGarbageSooner()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", tc.gogc, got, tc.want)
		}
	}
}

// DRYDOCK_MEMPROFILE's file is a (gzipped) pprof profile.
func TestWriteHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.prof")
	writeHeapProfile(path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 100 || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("profile of %d bytes starting %x", len(b), b[:min(len(b), 4)])
	}
}
