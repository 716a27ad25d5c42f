package prune_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestPruneDuplicates: of a blob stored several times one copy stays,
// preferably in a pack that stays anyway; restic's dry run agrees with our
// numbers.
func TestPruneDuplicates(t *testing.T) {
	b := newBuilder(t, format.Version2)
	dup, uniq, junk, dup2 := b.blobs(5, 4096), b.blobs(5, 4096), b.blobs(5, 4096), b.blobs(3, 4096)
	pa := b.pack(format.DataBlob, true, append(uniq, dup...)...) // used blobs and copies: stays
	pb := b.pack(format.DataBlob, true, dup...)                  // copies only: deleted
	pc := b.pack(format.DataBlob, true, append(dup, junk...)...) // copies and unused: deleted
	px := b.pack(format.DataBlob, true, dup2...)                 // px or py stays
	py := b.pack(format.DataBlob, true, dup2...)
	files := []file{{name: "u", chunks: uniq}, {name: "d", chunks: dup}, {name: "d2", chunks: dup2}}
	tree := b.tree(files...)
	b.pack(format.TreeBlob, true, tree)
	b.writeIndex()
	b.snapshot(tree, files...)

	resticOut, err := restic(t, b.dir, "prune", "--dry-run", "-v", "--max-unused", "0%")
	if err != nil {
		t.Fatalf("restic prune --dry-run: %v\n%s", err, resticOut)
	}
	st, _ := mustPrune(t, b.dir, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
	var ours strings.Builder
	st.Print(&ours)
	if want := resticSummary(resticOut); ours.String() != want {
		t.Fatalf("our summary:\n%s\nrestic's dry run:\n%s", ours.String(), want)
	}
	if st.Duplicate.Blobs != 13 || st.Used.Blobs != 14 || st.Unused.Blobs != 5 {
		t.Fatalf("stats %+v", st)
	}
	after := packs(t, b.dir)
	if !after[pa] || after[pb] || after[pc] || after[px] == after[py] {
		t.Fatalf("packs after prune: pa %v pb %v pc %v px %v py %v", after[pa], after[pb], after[pc], after[px], after[py])
	}
	r := loadedIndex(t, b.dir)
	for _, blob := range append(dup, dup2...) {
		h := format.BlobHandle{ID: format.Hash(blob), Type: format.DataBlob}
		if n := len(r.Index().LookupAll(h, nil)); n != 1 {
			t.Errorf("%v: %d copies after prune, want 1", h, n)
		}
	}
	resticCheck(t, b.dir)
	b.verifyRestores(t)
}

// TestPruneRepacksForFormat: packs mixing data and trees are repacked, and
// in version 2 packs with uncompressed trees, even when no space is to be
// gained (max unused "unlimited").
func TestPruneRepacksForFormat(t *testing.T) {
	for _, v := range []uint{format.Version1, format.Version2} {
		t.Run(fmt.Sprint("v", v), func(t *testing.T) {
			b := newBuilder(t, v)
			data := b.blobs(4, 4096)
			mixedFiles := []file{{name: "m", chunks: data[:1]}}
			mixedTree := b.tree(mixedFiles...)
			b.mixedPack(data[0], mixedTree)
			plainFiles := []file{{name: "n", chunks: data[1:]}}
			plainTree := b.tree(plainFiles...)
			b.pack(format.DataBlob, false, data[1:]...)
			b.pack(format.TreeBlob, false, plainTree)
			b.writeIndex()
			b.snapshot(mixedTree, mixedFiles...)
			b.snapshot(plainTree, plainFiles...)
			if out := resticCheck(t, b.dir); !strings.Contains(out, "a mix of tree and data blobs") {
				t.Fatalf("restic does not see the mixed pack:\n%s", out)
			}

			st, _ := mustPrune(t, b.dir, prune.Options{MaxUnused: mustMaxUnused(t, "unlimited")})
			wantRepack := map[uint]int{format.Version1: 1, format.Version2: 2}[v]
			if st.Packs.Repack != wantRepack || st.RepackRemove.Blobs != 0 {
				t.Fatalf("repacked %d packs, want %d: %+v", st.Packs.Repack, wantRepack, st)
			}
			r := loadedIndex(t, b.dir)
			r.Index().EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
				for _, bl := range blobs {
					if bl.Type != blobs[0].Type {
						t.Errorf("pack %v still mixes data and trees", id.Str())
					}
					if v == format.Version2 && bl.Type == format.TreeBlob && bl.UncompressedLength == 0 {
						t.Errorf("tree %v in pack %v is still uncompressed", bl.ID.Str(), id.Str())
					}
				}
				return true
			})
			if out := resticCheck(t, b.dir); strings.Contains(out, "a mix of tree and data blobs") {
				t.Fatalf("restic still sees a mixed pack:\n%s", out)
			}
			b.verifyRestores(t)
		})
	}
}

// TestPruneUnreferencedPack: a pack no index file describes (left by an
// interrupted backup) is deleted, as restic does.
func TestPruneUnreferencedPack(t *testing.T) {
	b := newBuilder(t, format.Version2)
	data := b.blobs(3, 4096)
	files := []file{{name: "a", chunks: data[:2]}}
	tree := b.tree(files...)
	b.pack(format.DataBlob, true, data[:2]...)
	b.pack(format.TreeBlob, true, tree)
	b.writeIndex()
	b.snapshot(tree, files...)
	orphan := b.pack(format.DataBlob, true, data...)
	b.pending = format.Index{} // never indexed
	if out := resticCheck(t, b.dir); !strings.Contains(out, orphan.Str()) {
		t.Fatalf("restic check does not notice the unreferenced pack %v:\n%s", orphan.Str(), out)
	}
	st, res := mustPrune(t, b.dir, prune.Options{})
	if st.Unreferenced.Packs != 1 || res.PacksDeleted != 1 || res.IndexFilesWritten != 0 || packs(t, b.dir)[orphan] {
		t.Fatalf("stats %+v, result %+v", st, res)
	}
	if out := resticCheck(t, b.dir); strings.Contains(out, orphan.Str()) {
		t.Fatalf("the unreferenced pack is still there:\n%s", out)
	}
	b.verifyRestores(t)
}

// TestPruneMissingPacks: an indexed pack missing from storage stops prune,
// unless it holds no used blob and ForgetMissingPacks is set; then it is
// dropped from the index.
func TestPruneMissingPacks(t *testing.T) {
	cases := []struct {
		name    string
		used    bool
		forget  bool
		wantErr error
	}{
		{"unused, default", false, false, prune.ErrPacksMissing},
		{"unused, forget", false, true, nil},
		{"used, forget", true, true, prune.ErrPacksMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(t, format.Version2)
			used, unused := b.blobs(3, 4096), b.blobs(3, 4096)
			files := []file{{name: "a", chunks: used}}
			tree := b.tree(files...)
			usedPack := b.pack(format.DataBlob, true, used...)
			unusedPack := b.pack(format.DataBlob, true, unused...)
			b.pack(format.TreeBlob, true, tree)
			b.writeIndex()
			b.snapshot(tree, files...)
			gone := unusedPack
			if tc.used {
				gone = usedPack
			}
			removeFile(t, b, gone)
			before := listing(t, b.dir)

			st, _, err := runPrune(t.Context(), openRepo(t, b.dir, nil), prune.Options{ForgetMissingPacks: tc.forget})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("prune: %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				assertUnchanged(t, b.dir, before)
				return
			}
			if st.Packs.Forget != 1 {
				t.Fatalf("stats %+v", st)
			}
			if loadedIndex(t, b.dir).Index().HasPack(gone) {
				t.Fatal("the missing pack is still indexed")
			}
			resticCheck(t, b.dir)
			b.verifyRestores(t)
		})
	}
}

// TestPruneEmptyIndexEntry: an index entry without blobs (for a pack that
// does not exist) is a missing pack without used data, not a crash.
func TestPruneEmptyIndexEntry(t *testing.T) {
	b := newBuilder(t, format.Version2)
	data := b.blobs(2, 4096)
	files := []file{{name: "a", chunks: data}}
	tree := b.tree(files...)
	b.pack(format.DataBlob, true, data...)
	b.pack(format.TreeBlob, true, tree)
	ghost := format.Hash([]byte("ghost pack"))
	b.pending.Packs = append(b.pending.Packs, format.IndexPack{ID: ghost, Blobs: []format.IndexBlob{}})
	b.writeIndex()
	b.snapshot(tree, files...)
	if _, _, err := runPrune(t.Context(), openRepo(t, b.dir, nil), prune.Options{}); !errors.Is(err, prune.ErrPacksMissing) {
		t.Fatalf("prune: %v, want ErrPacksMissing", err)
	}
	st, _ := mustPrune(t, b.dir, prune.Options{ForgetMissingPacks: true})
	if st.Packs.Forget != 1 || loadedIndex(t, b.dir).Index().HasPack(ghost) {
		t.Fatalf("the empty entry was not dropped: %+v", st)
	}
	resticCheck(t, b.dir)
	b.verifyRestores(t)
}

// TestPruneCopyInMissingPack: a blob with one copy in a pack missing from
// storage and one in a stored pack uses the stored one, so the missing
// pack holds nothing needed and can be dropped from the index.
func TestPruneCopyInMissingPack(t *testing.T) {
	b := newBuilder(t, format.Version2)
	data := b.blobs(3, 4096)
	files := []file{{name: "a", chunks: data}}
	tree := b.tree(files...)
	b.pack(format.DataBlob, true, data...)
	lost := b.pack(format.DataBlob, true, data...) // indexed last: the copy restic would keep
	b.pack(format.TreeBlob, true, tree)
	b.writeIndex()
	b.snapshot(tree, files...)
	removeFile(t, b, lost)

	st, _ := mustPrune(t, b.dir, prune.Options{ForgetMissingPacks: true})
	if st.Packs.Forget != 1 || st.Duplicate.Blobs != 3 {
		t.Fatalf("stats %+v", st)
	}
	resticCheck(t, b.dir)
	b.verifyRestores(t)
}
