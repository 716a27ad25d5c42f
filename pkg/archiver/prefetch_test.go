package archiver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// TestPrefetchVisitsAllButExcluded: every entry under the paths is read
// once, excluded subtrees are not entered, and a cancelled prefetch stops.
func TestPrefetchVisitsAllButExcluded(t *testing.T) {
	root := t.TempDir()
	var want []string
	for i := range 40 {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i), "sub")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		want = append(want, filepath.Dir(dir), dir)
		for j := range 3 {
			f := filepath.Join(dir, fmt.Sprintf("f%d", j))
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			want = append(want, f)
		}
	}
	skip := filepath.Join(root, "skipped")
	if err := os.MkdirAll(filepath.Join(skip, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	p := newPrefetcher(t.Context(), []string{skip})
	p.visit = func(path string) { mu.Lock(); got = append(got, path); mu.Unlock() }
	p.start([]string{root})
	p.wg.Wait()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("visited %d paths, want %d:\n got %q\nwant %q", len(got), len(want), got, want)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got = nil
	p = newPrefetcher(ctx, nil)
	p.visit = func(path string) { mu.Lock(); got = append(got, path); mu.Unlock() }
	p.start([]string{root})
	p.wg.Wait()
	if len(got) != 0 {
		t.Fatalf("cancelled prefetch visited %d paths", len(got))
	}
}
