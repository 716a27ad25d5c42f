package snapcopy_test

import (
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// TestCopyProgress: Progress counts blobs and bytes copied up to totals
// known before the first blob, which are exactly what the copy adds to
// the destination; a second run, which copies nothing, reports nothing.
func TestCopyProgress(t *testing.T) {
	data := t.TempDir()
	fixture.Build(t, data)
	src, _ := repotest.New(t, 2, repo.Options{})
	dst, _ := repotest.New(t, 2, repo.Options{})
	sns := []repo.Snapshot{backup(t, src, data, "alpha"), backup(t, src, data, "beta")}
	var mu sync.Mutex
	var calls []snapcopy.Progress
	opts := snapcopy.Options{Progress: func(p snapcopy.Progress) {
		mu.Lock()
		calls = append(calls, p)
		mu.Unlock()
	}}
	sum, err := snapcopy.Run(t.Context(), src, dst, sns, opts)
	if err != nil {
		t.Fatal(err)
	}
	added := sum.Stats.DataBlobs + sum.Stats.TreeBlobs
	if len(calls) != added || added == 0 {
		t.Fatalf("%d progress calls for %d blobs added", len(calls), added)
	}
	total := calls[0]
	if total.TotalBlobs != added || total.TotalBytes != sum.Stats.DataAdded {
		t.Errorf("totals %d blobs, %d bytes; the copy added %d blobs, %d bytes", total.TotalBlobs, total.TotalBytes, added, sum.Stats.DataAdded)
	}
	var most snapcopy.Progress
	for _, p := range calls {
		if p.TotalBlobs != total.TotalBlobs || p.TotalBytes != total.TotalBytes || p.Blobs > p.TotalBlobs || p.Bytes > p.TotalBytes {
			t.Errorf("progress %+v beyond or off its totals", p)
		}
		most.Blobs, most.Bytes = max(most.Blobs, p.Blobs), max(most.Bytes, p.Bytes)
	}
	if most.Blobs != total.TotalBlobs || most.Bytes != total.TotalBytes {
		t.Errorf("copied %+v at the end, totals %+v", most, total)
	}
	calls = nil
	if _, err := snapcopy.Run(t.Context(), src, dst, sns, opts); err != nil || len(calls) != 0 {
		t.Errorf("second run: %v, %d progress calls", err, len(calls))
	}
}
