package prune_test

import (
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/pkg/prune"
)

// TestRepackProgress: while packs are repacked, RepackProgress counts the
// stored bytes copied up to the total to copy, which is what the
// repacked packs hold less what repacking drops and their headers; it
// never passes the total.
func TestRepackProgress(t *testing.T) {
	b, _ := thresholdRepo(t)
	var mu sync.Mutex
	var calls [][2]uint64
	opts := prune.Options{MaxUnused: mustMaxUnused(t, "0%"), RepackProgress: func(done, total uint64) {
		mu.Lock()
		calls = append(calls, [2]uint64{done, total})
		mu.Unlock()
	}}
	st, res := mustPrune(t, b.dir, opts)
	if res.BlobsRepacked == 0 || len(calls) != res.BlobsRepacked {
		t.Fatalf("%d progress calls for %d blobs repacked", len(calls), res.BlobsRepacked)
	}
	total := calls[0][1]
	// The stats count the repacked packs' file bytes, headers included.
	if want := st.Repack.Bytes - st.RepackRemove.Bytes; total > want || want-total > want/100 {
		t.Errorf("total to repack %d, want %d less the packs' headers (repack %d less dropped %d)", total, want, st.Repack.Bytes, st.RepackRemove.Bytes)
	}
	var last uint64
	for _, c := range calls {
		if c[1] != total || c[0] > total || c[0] == 0 {
			t.Errorf("call %v: want 0 < done <= %d", c, total)
		}
		last = max(last, c[0])
	}
	if last != total {
		t.Errorf("repacked %d of %d at the end", last, total)
	}
	resticCheck(t, b.dir)
}
