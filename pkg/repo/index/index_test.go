package index_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

func randID(r *rand.Rand) format.ID {
	var id format.ID
	for i := 0; i < len(id); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			id[i+j] = byte(v >> (8 * j))
		}
	}
	return id
}

// makePack returns a pack ID and n blobs tiling the pack from offset 0.
func makePack(r *rand.Rand, n int, typ format.BlobType) (format.ID, []format.IndexBlob) {
	blobs := make([]format.IndexBlob, n)
	var off uint32
	for i := range blobs {
		l := 32 + uint32(r.IntN(1000))
		b := format.IndexBlob{ID: randID(r), Type: typ, Offset: off, Length: l}
		if i%3 == 0 {
			b.UncompressedLength = l * 2
		}
		blobs[i] = b
		off += l
	}
	return randID(r), blobs
}

type packEntry struct {
	id    format.ID
	blobs []format.IndexBlob
}

// checkAll asserts that every blob of every pack is found at its location.
func checkAll(t *testing.T, x *index.Index, packs []packEntry) {
	t.Helper()
	n := 0
	for _, p := range packs {
		for _, b := range p.blobs {
			n++
			h := format.BlobHandle{ID: b.ID, Type: b.Type}
			want := index.Location{PackID: p.id, Type: b.Type, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
			if !slices.Contains(x.LookupAll(h, nil), want) {
				t.Fatalf("blob %v: %v not among %v", b.ID.Str(), want, x.LookupAll(h, nil))
			}
			if !x.Has(h) {
				t.Fatalf("Has(%v) = false", h)
			}
			other := format.BlobHandle{ID: b.ID, Type: format.DataBlob + format.TreeBlob - b.Type}
			if x.Has(other) {
				t.Fatalf("Has(%v) = true for the other type", other)
			}
		}
	}
	if x.Count() != n {
		t.Fatalf("Count = %d, want %d", x.Count(), n)
	}
}

func TestAddLookupAcrossMerges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := index.New()
	var packs []packEntry
	// Interleave additions and lookups so that lookups hit the pending part,
	// the sorted part, and states right after merges.
	for i := range 200 {
		typ := format.DataBlob
		if i%5 == 0 {
			typ = format.TreeBlob
		}
		id, blobs := makePack(r, 1+r.IntN(300), typ)
		if err := x.AddPack(id, blobs); err != nil {
			t.Fatal(err)
		}
		packs = append(packs, packEntry{id, blobs})
		if i%37 == 0 {
			checkAll(t, x, packs)
		}
	}
	checkAll(t, x, packs)
	x.Compact()
	checkAll(t, x, packs)
	if _, ok := x.Lookup(format.BlobHandle{ID: randID(r), Type: format.DataBlob}); ok {
		t.Fatal("found a random ID")
	}
	if err := x.AddPack(packs[3].id, packs[3].blobs); !errors.Is(err, index.ErrDuplicatePack) {
		t.Fatalf("duplicate pack: %v", err)
	}
	if !x.HasPack(packs[3].id) || x.PackCount() != len(packs) {
		t.Fatal("pack bookkeeping")
	}
	// The same blob in a second pack: both locations are reported.
	dup := packs[7].blobs[0]
	dup.Offset = 0
	pid := randID(r)
	if err := x.AddPack(pid, []format.IndexBlob{dup}); err != nil {
		t.Fatal(err)
	}
	for _, compact := range []bool{false, true} {
		if compact {
			x.Compact()
		}
		locs := x.LookupAll(format.BlobHandle{ID: dup.ID, Type: dup.Type}, nil)
		if len(locs) != 2 {
			t.Fatalf("compact=%v: %d locations, want 2", compact, len(locs))
		}
	}
}

// TestEncodeSplitAndDecode writes index documents with a small blob limit
// (same code path as the 50,000 default, cheaper under -race) and reads
// them back through JSON.
func TestEncodeSplitAndDecode(t *testing.T) {
	const limit = 1000
	r := rand.New(rand.NewPCG(3, 4))
	x := index.New()
	var packs []packEntry
	sizes := []int{1200, 1} // a pack above the limit gets a file of its own
	for range 30 {
		sizes = append(sizes, 1+r.IntN(300))
	}
	sizes = append(sizes, 999, 2, limit)
	for i, n := range sizes {
		typ := format.DataBlob
		if i%2 == 1 {
			typ = format.TreeBlob
		}
		id, blobs := makePack(r, n, typ)
		if err := x.AddPack(id, blobs); err != nil {
			t.Fatal(err)
		}
		packs = append(packs, packEntry{id, blobs})
	}
	files := x.Encode(limit)
	seen := map[format.ID]int{}
	y := index.New()
	total := 0
	for i, f := range files {
		n := 0
		for _, p := range f.Packs {
			seen[p.ID]++
			n += len(p.Blobs)
			if !slices.IsSortedFunc(p.Blobs, func(a, b format.IndexBlob) int { return int(a.Offset) - int(b.Offset) }) {
				t.Fatalf("pack %v blobs not sorted by offset", p.ID.Str())
			}
		}
		if n > limit && len(f.Packs) != 1 {
			t.Fatalf("file %d has %d blobs in %d packs", i, n, len(f.Packs))
		}
		total += n
		b, err := format.EncodeIndex(f)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := format.DecodeIndex(b, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := y.AddIndexFile(dec); err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 5 || total != x.Count() {
		t.Fatalf("%d files, %d blobs (want %d)", len(files), total, x.Count())
	}
	for _, p := range packs {
		if seen[p.id] != 1 {
			t.Fatalf("pack %v in %d files", p.id.Str(), seen[p.id])
		}
	}
	checkAll(t, y, packs)
	// Loading the same file twice counts duplicates instead of failing.
	if err := y.AddIndexFile(files[0]); err != nil || y.DuplicatePacks() != len(files[0].Packs) {
		t.Fatalf("duplicate file: %v, %d dups", err, y.DuplicatePacks())
	}
}

// TestEncodeDefaultLimit checks the real 50,000-blob split (docs/format.md §6.2).
func TestEncodeDefaultLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x := index.New()
	for _, n := range []int{30000, 20000, 1, 50001, 25000, 25000} {
		id, blobs := makePack(r, n, format.DataBlob)
		if err := x.AddPack(id, blobs); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]int
	for _, f := range x.Encode(0) {
		var sizes []int
		for _, p := range f.Packs {
			sizes = append(sizes, len(p.Blobs))
		}
		got = append(got, sizes)
	}
	want := [][]int{{30000, 20000}, {1}, {50001}, {25000, 25000}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
}

func TestEachPack(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := index.New()
	want := map[format.ID]int{}
	for range 10 {
		id, blobs := makePack(r, 5, format.DataBlob)
		_ = x.AddPack(id, blobs)
		want[id] = len(blobs)
	}
	calls := 0
	x.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		calls++
		if want[id] != len(blobs) {
			t.Errorf("pack %v: %d blobs, want %d", id.Str(), len(blobs), want[id])
		}
		return calls < 4
	})
	if calls != 4 {
		t.Fatalf("EachPack did not stop: %d calls", calls)
	}
}

func TestLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	files := map[format.ID][]byte{}
	var ids []format.ID
	var packs []packEntry
	for i := range 20 {
		id, blobs := makePack(r, 50+i, format.DataBlob)
		packs = append(packs, packEntry{id, blobs})
		b, _ := format.EncodeIndex(&format.Index{Packs: []format.IndexPack{{ID: id, Blobs: blobs}}})
		fid := format.Hash(b)
		files[fid] = b
		ids = append(ids, fid)
	}
	load := func(_ context.Context, id format.ID) ([]byte, error) {
		if b, ok := files[id]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("no such file")
	}
	x, err := index.Load(t.Context(), ids, 2, load)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, x, packs)
	missing := append(slices.Clone(ids), randID(r))
	if _, err := index.Load(t.Context(), missing, 2, load); err == nil {
		t.Fatal("missing file not reported")
	}
	files[ids[4]] = []byte(`[{"id":"x"}]`)
	if _, err := index.Load(t.Context(), ids, 2, load); !errors.Is(err, format.ErrOldIndexFormat) {
		t.Fatalf("old format: %v", err)
	}
}

// TestMemoryPerBlob measures the heap used per indexed blob with 1,000,000
// blobs and asserts the 48-byte budget for the compacted index (what Load
// returns). While an index grows, up to 1/16 of it is pending records of 48
// bytes plus their hash slots, so the budget allows one byte more.
func TestMemoryPerBlob(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~60 MB")
	}
	const total = 1_000_000
	const limit, growing = 48, 49
	for _, tc := range []struct {
		perPack int
	}{
		{100}, // small files / tree packs dominate blob counts
		{11},  // 16 MiB packs of ~1.5 MiB chunks: per-pack cost shows
	} {
		t.Run(fmt.Sprint(tc.perPack, " blobs per pack"), func(t *testing.T) {
			if raceEnabled && tc.perPack != 100 {
				t.Skip("informational case skipped under -race (slow)")
			}
			r := rand.New(rand.NewPCG(9, 10))
			blobs := make([]format.IndexBlob, tc.perPack)
			var before, after runtime.MemStats
			// Two cycles: sync.Pool contents (e.g. encoding/json buffers of
			// earlier tests) survive one GC in the victim cache.
			gc := func() { runtime.GC(); runtime.GC() }
			gc()
			runtime.ReadMemStats(&before)
			x := index.New()
			for n := 0; n < total; n += tc.perPack {
				for i := range blobs {
					blobs[i] = format.IndexBlob{ID: randID(r), Type: format.DataBlob, Offset: uint32(i) * 100, Length: 100, UncompressedLength: 300}
				}
				if err := x.AddPack(randID(r), blobs); err != nil {
					t.Fatal(err)
				}
			}
			gc()
			runtime.ReadMemStats(&after)
			perBlob := float64(after.HeapAlloc-before.HeapAlloc) / float64(x.Count())
			x.Compact()
			gc()
			runtime.ReadMemStats(&after)
			compacted := float64(after.HeapAlloc-before.HeapAlloc) / float64(x.Count())
			t.Logf("%d blobs, %d per pack: %.1f bytes/blob as built, %.1f after Compact", x.Count(), tc.perPack, perBlob, compacted)
			if compacted > limit || perBlob > growing {
				t.Fatalf("%.1f bytes per blob compacted (limit %d), %.1f as built (limit %d)", compacted, limit, perBlob, growing)
			}
			// Replay the random stream: every blob must still be found.
			r = rand.New(rand.NewPCG(9, 10))
			for n := 0; n < total; n += tc.perPack {
				for i := range blobs {
					id := randID(r)
					if i%7 == 0 && !x.Has(format.BlobHandle{ID: id, Type: format.DataBlob}) {
						t.Fatalf("blob %v lost", id)
					}
				}
				randID(r)
			}
		})
	}
}

// TestFieldWidths covers the compact main-record encoding: lengths at and
// beyond 24 bits (kept in the overflow map), the same blob in several packs
// with overflowing lengths, and the switch to 4-byte pack numbers, across
// merges.
func TestFieldWidths(t *testing.T) {
	lengths := []uint32{0, 1, 1<<24 - 2, 1<<24 - 1, 1 << 24, 1<<31 + 5, 1<<32 - 1}
	for _, narrow := range []uint32{1<<23 - 1, 7} {
		t.Run(fmt.Sprint("narrow ", narrow), func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(narrow)))
			x := index.NewNarrowLimit(narrow)
			var packs []packEntry
			shared := randID(r) // stored in every pack, always overflowing
			for i := range 30 {
				typ := []format.BlobType{format.DataBlob, format.TreeBlob}[i%2]
				id, blobs := makePack(r, 1+r.IntN(6), typ)
				for j := range blobs {
					blobs[j].Length = lengths[r.IntN(len(lengths))]
					blobs[j].UncompressedLength = lengths[r.IntN(len(lengths))]
				}
				blobs = append(blobs, format.IndexBlob{ID: shared, Type: format.DataBlob, Offset: 1<<30 + uint32(i), Length: 1 << 25, UncompressedLength: uint32(i)})
				if err := x.AddPack(id, blobs); err != nil {
					t.Fatal(err)
				}
				packs = append(packs, packEntry{id, blobs})
				if i%4 == 3 {
					x.Compact()
				}
				checkAll(t, x, packs)
			}
			x.Compact()
			checkAll(t, x, packs)
			got := map[format.ID][]format.IndexBlob{}
			x.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
				got[id] = blobs
				return true
			})
			for _, p := range packs {
				want := slices.Clone(p.blobs)
				slices.SortStableFunc(want, func(a, b format.IndexBlob) int { return cmp.Compare(a.Offset, b.Offset) })
				if !slices.Equal(got[p.id], want) {
					t.Fatalf("pack %v: EachPack gave %v, want %v", p.id.Str(), got[p.id], want)
				}
			}
		})
	}
}
