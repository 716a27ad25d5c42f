package checker

import (
	"bytes"
	"cmp"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// streamFixture is a repository of data packs (compressed and random
// blobs) and tree packs (many small blobs), and a checker on it.
func streamFixture(t *testing.T) (*checker, string, map[format.ID][]format.IndexBlob) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	be, err := local.Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(ctx, be, "stream", repo.InitOptions{KDF: crypto.Params{N: 1024, R: 8, P: 1}}, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	_, err = r.WithBlobSaver(ctx, func(ctx context.Context, bs *repo.BlobSaver) error {
		for i := range 6 {
			blob := bytes.Repeat([]byte{byte(i)}, 30<<10)
			if i%2 == 1 {
				for j := range blob {
					blob[j] = byte(rnd.Uint32())
				}
			}
			if _, _, err := bs.SaveBlob(ctx, format.DataBlob, blob); err != nil {
				return err
			}
		}
		for i := range 200 {
			tree, err := format.EncodeTree([]*format.Node{{Name: string(rune('a'+i%26)) + string(rune('a'+i/26)), Type: format.NodeFile, Content: format.IDs{}}})
			if err != nil {
				return err
			}
			if _, _, err := bs.SaveBlob(ctx, format.TreeBlob, tree); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	packs := map[format.ID][]format.IndexBlob{}
	types := map[format.BlobType]int{}
	r.Index().EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		packs[id] = slices.Clone(blobs)
		types[blobs[0].Type]++
		return true
	})
	if types[format.DataBlob] == 0 || types[format.TreeBlob] == 0 {
		t.Fatalf("packs of types %v, want data and tree packs", types)
	}
	return &checker{r: r, opts: Options{}.withDefaults()}, dir, packs
}

// The one-pass check passes sound packs, and never a damaged one: any
// flipped byte, a pack cut short or extended or under another name, or an
// index entry that differs from the header sends the pack to the slow
// path.
func TestStreamPack(t *testing.T) {
	c, dir, packs := streamFixture(t)
	ctx := t.Context()
	for id, indexed := range packs {
		path := filepath.Join(dir, "data", id.String()[:2], id.String())
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		stream := func(indexed []format.IndexBlob) streamed {
			t.Helper()
			res, err := c.streamPack(ctx, id, indexed)
			if err != nil {
				t.Fatalf("pack %v: %v", id.Str(), err)
			}
			return res
		}
		if res := stream(indexed); !res.clean || res.blobs != len(indexed) || res.bytes != int64(len(orig)) {
			t.Fatalf("sound pack %v (%d blobs, %d bytes): %+v", id.Str(), len(indexed), len(orig), res)
		}

		// Each damage is tried under the pack's name and under the name
		// of its new content, which the pack's hash cannot tell from sound.
		damaged := func(what string, data []byte) {
			t.Helper()
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if res := stream(indexed); res.clean {
				t.Errorf("pack %v: %s passed", id.Str(), what)
			}
			named := format.Hash(data)
			namedPath := filepath.Join(dir, "data", named.String()[:2], named.String())
			if err := os.MkdirAll(filepath.Dir(namedPath), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(namedPath, data, 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(namedPath)
			if res, err := c.streamPack(ctx, named, indexed); err != nil || res.clean {
				t.Errorf("pack %v: %s, named after its content: %+v, %v", id.Str(), what, res, err)
			}
		}
		for _, off := range []int{0, 1, 33, len(orig) / 3, len(orig) / 2, len(orig) - 200, len(orig) - 40, len(orig) - 5, len(orig) - 1} {
			if off < 0 { // a small pack (blobs go to packs at random)
				continue
			}
			flipped := slices.Clone(orig)
			flipped[off] ^= 0x10
			damaged("byte flipped at "+strconv.Itoa(off), flipped)
		}
		for _, n := range []int{1, 4, 100, len(orig) / 2, len(orig) - 1} {
			damaged("cut by "+strconv.Itoa(n), orig[:len(orig)-n])
		}
		damaged("one byte appended", append(slices.Clone(orig), 0))
		damaged("empty", nil)
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Fatal(err)
		}

		edits := map[string]func([]format.IndexBlob) []format.IndexBlob{
			"entry dropped":    func(b []format.IndexBlob) []format.IndexBlob { return b[1:] },
			"last dropped":     func(b []format.IndexBlob) []format.IndexBlob { return b[:len(b)-1] },
			"entry duplicated": func(b []format.IndexBlob) []format.IndexBlob { return append(b, b[0]) },
			"no entries":       func([]format.IndexBlob) []format.IndexBlob { return nil },
			"type changed":     func(b []format.IndexBlob) []format.IndexBlob { b[0].Type ^= 1; return b },
			// A blob past the first where there is one: packs may hold a
			// single blob (blobs go to packs at random).
			"ID changed":     func(b []format.IndexBlob) []format.IndexBlob { b[len(b)/2].ID[0]++; return b },
			"offset changed": func(b []format.IndexBlob) []format.IndexBlob { b[len(b)/2].Offset++; return b },
			"length changed": func(b []format.IndexBlob) []format.IndexBlob {
				b[len(b)-1].Length--
				return b
			},
			"uncompressed length changed": func(b []format.IndexBlob) []format.IndexBlob {
				b[0].UncompressedLength++
				return b
			},
		}
		for what, edit := range edits {
			if res := stream(edit(slices.Clone(indexed))); res.clean {
				t.Errorf("pack %v: index %s passed", id.Str(), what)
			}
		}
		if res := stream(indexed); !res.clean {
			t.Fatalf("pack %v restored: %+v", id.Str(), res)
		}

		renamed := id
		renamed[31]++
		renamedPath := filepath.Join(dir, "data", renamed.String()[:2], renamed.String())
		if err := os.Link(path, renamedPath); err != nil {
			t.Fatal(err)
		}
		if res, err := c.streamPack(ctx, renamed, indexed); err != nil || res.clean {
			t.Errorf("pack %v under the name %v: %+v, %v", id.Str(), renamed.Str(), res, err)
		}
	}
}

// A version 1 repository may not hold compressed blobs, which the data
// pack has.
func TestHeaderMatchesVersion(t *testing.T) {
	c, dir, packs := streamFixture(t)
	for id, indexed := range packs {
		sorted := slices.SortedFunc(slices.Values(indexed), func(a, b format.IndexBlob) int { return cmp.Compare(a.Offset, b.Offset) })
		data, err := os.ReadFile(filepath.Join(dir, "data", id.String()[:2], id.String()))
		if err != nil {
			t.Fatal(err)
		}
		last := sorted[len(sorted)-1]
		tail := data[last.Offset+last.Length:]
		compressed := slices.ContainsFunc(sorted, func(b format.IndexBlob) bool { return b.UncompressedLength != 0 })
		if !c.headerMatches(tail, sorted, format.Version2) || c.headerMatches(tail, sorted, 1) == compressed {
			t.Errorf("pack %v (compressed: %v): version 2 %v, version 1 %v", id.Str(), compressed,
				c.headerMatches(tail, sorted, format.Version2), c.headerMatches(tail, sorted, 1))
		}
	}
}

// An index entry claiming more than the pack holds sends the pack straight
// to the slow path: the claimed length must not size a buffer.
func TestHugeIndexedLengthNotAllocated(t *testing.T) {
	c, dir, packs := streamFixture(t)
	for id, indexed := range packs {
		fi, err := os.Stat(filepath.Join(dir, "data", id.String()[:2], id.String()))
		if err != nil {
			t.Fatal(err)
		}
		huge := slices.Clone(indexed)
		slices.SortFunc(huge, func(a, b format.IndexBlob) int { return cmp.Compare(a.Offset, b.Offset) })
		huge[0].Length = 1<<31 + 5
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := c.readPack(t.Context(), id, fi.Size(), huge); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<30 {
			t.Errorf("pack %v: allocated %d bytes for a claimed 2 GiB blob", id.Str(), grew)
		}
	}
	if c.rep.packsReadWhole != len(packs) || c.rep.OK() {
		t.Errorf("%d of %d packs read whole, %d errors", c.rep.packsReadWhole, len(packs), len(c.rep.Errors))
	}
}
