package repo_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestBlobsSpreadAtRandom: on one core, consecutive blobs (the chunks of
// one file, in order) go to several packs at random: not all into one pack
// (which tells where a known file was cut), and not in a fixed rotation,
// under which no two consecutive blobs would ever share a pack.
func TestBlobsSpreadAtRandom(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r, _ := repotest.New(t, 0, repo.Options{})
	const n = 400
	ids := make([]format.ID, n)
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		for i := range n {
			var err error
			if ids[i], _, err = s.SaveBlob(ctx, format.DataBlob, fmt.Appendf(nil, "chunk %d of a file %0*d", i, 2000, i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	packs := map[format.ID]int{}
	same := 0
	var prev format.ID
	for i, id := range ids {
		loc, ok := r.Index().Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			t.Fatalf("blob %d not indexed", i)
		}
		packs[loc.PackID]++
		if i > 0 && loc.PackID == prev {
			same++
		}
		prev = loc.PackID
	}
	// Uniform over 4 packs: about a quarter of consecutive pairs share one.
	if len(packs) < 4 || same < 40 || same > 180 {
		t.Errorf("%d blobs in %d packs (%v), %d consecutive pairs in one pack: want a random spread over at least 4", n, len(packs), packs, same)
	}
}
