package prune_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// forgottenRepo has four snapshots over data packs of every kind of use,
// two of them forgotten:
//
//	shared  used by all          → kept
//	only0   only snapshot 0      → deleted
//	only1   only snapshot 1      → kept
//	only2   only snapshot 2      → deleted
//	mix     4 blobs of s0, 6 of s3 → repacked
//	trees01 trees of s0, s1      → repacked (tree packs always are)
//	trees23 trees of s2, s3      → repacked
func forgottenRepo(t *testing.T, version uint) (*builder, map[string]format.ID) {
	b := newBuilder(t, version)
	comp := version >= format.Version2
	shared, only0, only1, only2 := b.blobs(10, 4096), b.blobs(10, 4096), b.blobs(5, 4096), b.blobs(10, 4096)
	mix0, mix3 := b.blobs(4, 4096), b.blobs(6, 4096)
	p := map[string]format.ID{
		"shared": b.pack(format.DataBlob, comp, shared...),
		"only0":  b.pack(format.DataBlob, comp, only0...),
		"only1":  b.pack(format.DataBlob, comp, only1...),
		"only2":  b.pack(format.DataBlob, comp, only2...),
		"mix":    b.pack(format.DataBlob, comp, append(mix0, mix3...)...),
	}
	b.writeIndex()
	sub, subTree := b.subdir("sub", file{name: "g", chunks: only1[2:]}, file{name: "h", chunks: shared[8:]})
	files := [][]file{
		{{name: "a", chunks: shared[:5]}, {name: "b", chunks: only0}, {name: "c", chunks: mix0}},
		{{name: "a", chunks: shared}, {name: "d", chunks: only1}, sub},
		{{name: "a", chunks: shared[5:]}, {name: "e", chunks: only2}},
		{{name: "c", chunks: mix3}, {name: "f", chunks: shared[:3]}, {name: "empty"}},
	}
	trees := make([][]byte, len(files))
	for i, f := range files {
		trees[i] = b.tree(f...)
	}
	p["trees01"] = b.pack(format.TreeBlob, comp, trees[0], trees[1], subTree)
	p["trees23"] = b.pack(format.TreeBlob, comp, trees[2], trees[3])
	b.writeIndex()
	var sns []format.ID
	for i, f := range files {
		sns = append(sns, b.snapshot(trees[i], f...))
	}
	b.forget(sns[0], sns[2])
	return b, p
}

// TestPruneForgotten prunes after forgetting snapshots, in both repository
// versions: unused packs go, partly used ones are repacked, the rest stays,
// and restic and our restorer are content with the result.
func TestPruneForgotten(t *testing.T) {
	for _, v := range []uint{format.Version1, format.Version2} {
		t.Run(fmt.Sprint("v", v), func(t *testing.T) {
			b, p := forgottenRepo(t, v)
			before := packs(t, b.dir)
			resticOut, err := restic(t, b.dir, "prune", "--dry-run", "-v", "--max-unused", "0%")
			if err != nil {
				t.Fatalf("restic prune --dry-run: %v\n%s", err, resticOut)
			}
			st, res := mustPrune(t, b.dir, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
			var ours strings.Builder
			st.Print(&ours)
			if want := resticSummary(resticOut); ours.String() != want {
				t.Fatalf("our summary:\n%s\nrestic's dry run:\n%s", ours.String(), want)
			}

			wantStats := prune.PackStats{Used: 2, PartlyUsed: 3, Unused: 2, Keep: 2, Repack: 3, Remove: 2}
			if st.Packs != wantStats || st.Used.Blobs != 24 || st.Unused.Blobs != 26 || st.Snapshots != 2 {
				t.Fatalf("stats %+v", st)
			}
			after := packs(t, b.dir)
			for name, id := range p {
				gone := name != "shared" && name != "only1"
				if after[id] == gone {
					t.Errorf("pack %s (%v): present %v after prune", name, id.Str(), after[id])
				}
			}
			if res.PacksWritten < 2 || res.PacksDeleted != 5 || len(after) != len(before)-5+res.PacksWritten {
				t.Fatalf("result %+v: %d packs before, %d after", res, len(before), len(after))
			}
			if res.BytesDeleted <= res.BytesWritten {
				t.Fatalf("prune freed nothing: %+v", res)
			}
			if res.IndexFilesDeleted != 2 || res.IndexFilesWritten != 1 {
				t.Fatalf("index files: %+v", res)
			}
			out := resticCheck(t, b.dir)
			if strings.Contains(out, "additional files") || strings.Contains(out, "several indexes") {
				t.Fatalf("restic check has notices after a clean prune:\n%s", out)
			}
			b.verifyRestores(t)

			// A second prune finds nothing to do.
			r := openRepo(t, b.dir, nil)
			plan, err := prune.NewPlan(t.Context(), r, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
			if err != nil {
				t.Fatal(err)
			}
			if s := plan.Stats(); !plan.Empty() || s.Unused.Blobs != 0 || s.Duplicate.Blobs != 0 || s.Used.Blobs != 24 {
				t.Fatalf("second prune: %+v", s)
			}
		})
	}
}

// thresholdRepo has one snapshot and four data packs of ten 72 KiB blobs
// with 1, 6, 0 and 10 unused blobs. The packs are large enough for restic
// too (its small-pack limit is 16 MiB / 25).
func thresholdRepo(t *testing.T) (*builder, []format.ID) {
	b := newBuilder(t, format.Version2)
	var ids []format.ID
	var files []file
	for i, unused := range []int{1, 6, 0, 10} {
		blobs := b.blobs(10, 72<<10)
		ids = append(ids, b.pack(format.DataBlob, false, blobs...))
		if unused < 10 {
			files = append(files, file{name: fmt.Sprintf("f%d", i), chunks: blobs[unused:]})
		}
	}
	tree := b.tree(files...)
	b.pack(format.TreeBlob, true, tree)
	b.writeIndex()
	b.snapshot(tree, files...)
	return b, ids
}

// TestPruneThreshold: --max-unused and --max-repack-size decide which partly
// used packs are repacked, exactly as restic 0.14 decides (its dry run
// prints the same summary).
func TestPruneThreshold(t *testing.T) {
	cases := []struct {
		maxUnused, maxRepack string
		kept                 []int // which of the four packs stay
	}{
		{"5%", "", []int{0, 2}},
		{"0%", "", []int{2}},
		{"unlimited", "", []int{0, 1, 2}},
		{"50%", "", []int{0, 1, 2}},
		{"100K", "", []int{0, 2}}, // a blob is 73,760 bytes
		{"50K", "", []int{2}},
		{"0%", "738007", []int{0, 2}}, // a pack is 738,006 bytes
		{"0%", "0", []int{0, 1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.maxUnused+"/"+tc.maxRepack, func(t *testing.T) {
			b, ids := thresholdRepo(t)
			opts := prune.Options{MaxUnused: mustMaxUnused(t, tc.maxUnused)}
			args := []string{"prune", "--dry-run", "-v", "--max-unused", tc.maxUnused}
			if tc.maxRepack != "" {
				if err := opts.MaxRepackSize.Set(tc.maxRepack); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--max-repack-size", tc.maxRepack)
			}
			resticOut, err := restic(t, b.dir, args...)
			if err != nil {
				t.Fatalf("restic %v: %v\n%s", args, err, resticOut)
			}
			st, _ := mustPrune(t, b.dir, opts)
			var ours strings.Builder
			st.Print(&ours)
			if want := resticSummary(resticOut); ours.String() != want {
				t.Fatalf("our summary:\n%s\nrestic's dry run:\n%s", ours.String(), want)
			}
			after := packs(t, b.dir)
			for i, id := range ids {
				if want := contains(tc.kept, i); after[id] != want {
					t.Errorf("pack %d (%d unused): present %v, want %v", i, []int{1, 6, 0, 10}[i], after[id], want)
				}
			}
			resticCheck(t, b.dir)
			b.verifyRestores(t)
		})
	}
}

// resticSummary cuts restic prune -v's statistics out of its output.
func resticSummary(out string) string {
	start := strings.Index(out, "used:")
	end := strings.Index(out, "Would have")
	if start < 0 || end < start {
		return out
	}
	return strings.TrimRight(out[start:end], "\n") + "\n"
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func mustMaxUnused(t *testing.T, s string) prune.MaxUnused {
	t.Helper()
	m, err := prune.ParseMaxUnused(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDryRun: a plan changes nothing, and executing it later reports what
// the plan said.
func TestDryRun(t *testing.T) {
	b, _ := forgottenRepo(t, format.Version2)
	before := listing(t, b.dir)
	r := openRepo(t, b.dir, nil)
	plan, err := prune.NewPlan(t.Context(), r, prune.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after := listing(t, b.dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("planning changed the repository:\nbefore %v\nafter  %v", before, after)
	}
	if plan.Empty() {
		t.Fatal("the plan should delete something")
	}
	st, _ := mustPrune(t, b.dir, prune.Options{})
	if st != plan.Stats() {
		t.Fatalf("executed stats %+v differ from the dry run's %+v", st, plan.Stats())
	}
}
