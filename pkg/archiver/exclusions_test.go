package archiver

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// exclusionTree writes the tree the exclusion tests back up, below dir.
func exclusionTree(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"a.txt":              "small",
		"B.TMP":              "upper case",
		"b.tmp":              "lower case",
		"big.bin":            strings.Repeat("x", 2048),
		"sub/big.bin":        strings.Repeat("y", 1025),
		"sub/k.bin":          strings.Repeat("z", 1024),
		"cache/CACHEDIR.TAG": CacheMarker.Header + "\n# a cache\n",
		"cache/data":         "cached",
		"cache/deep/more":    "cached too",
		"fake/CACHEDIR.TAG":  "Signature: not the one\n",
		"fake/data":          "kept: wrong signature",
		"skip/.nobackup":     "",
		"skip/data":          "left out",
		"hdr/.nobackup":      "KEEP-OUT here",
		"hdr/data":           "left out with header",
		"hdr2/.nobackup":     "other",
		"hdr2/data":          "kept: header differs",
		"both/CACHEDIR.TAG":  CacheMarker.Header,
		"both/.nobackup":     "",
		"both/data":          "left out by both",
		"Mixed/Case/file":    "path pattern",
		"mixed/case/other":   "path pattern, lower",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// savedPaths lists the paths of a saved tree below the target dir,
// relative to it, directories with a trailing slash.
func savedPaths(t *testing.T, r *repo.Repository, root format.ID, dir string) []string {
	t.Helper()
	n := node(t, r, root, dir)
	if n == nil || n.Subtree == nil {
		t.Fatalf("%s is not saved as a directory", dir)
	}
	var out []string
	var walk func(id format.ID, prefix string)
	walk = func(id format.ID, prefix string) {
		tree, err := r.LoadTree(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tree.Nodes {
			if n.Subtree != nil {
				out = append(out, prefix+n.Name+"/")
				walk(*n.Subtree, prefix+n.Name+"/")
				continue
			}
			out = append(out, prefix+n.Name)
		}
	}
	walk(*n.Subtree, "")
	return out
}

func TestExclusions(t *testing.T) {
	dir := t.TempDir()
	exclusionTree(t, dir)
	all := []string{"B.TMP", "Mixed/", "Mixed/Case/", "Mixed/Case/file", "a.txt", "b.tmp", "big.bin",
		"both/", "both/.nobackup", "both/CACHEDIR.TAG", "both/data",
		"cache/", "cache/CACHEDIR.TAG", "cache/data", "cache/deep/", "cache/deep/more",
		"fake/", "fake/CACHEDIR.TAG", "fake/data", "hdr/", "hdr/.nobackup", "hdr/data",
		"hdr2/", "hdr2/.nobackup", "hdr2/data", "mixed/", "mixed/case/", "mixed/case/other",
		"skip/", "skip/.nobackup", "skip/data", "sub/", "sub/big.bin", "sub/k.bin"}
	without := func(drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(p string) bool {
			for _, d := range drop {
				if p == d || (strings.HasSuffix(d, "/") && strings.HasPrefix(p, d)) {
					return true
				}
			}
			return false
		})
	}
	for _, c := range []struct {
		name string
		ex   Exclusions
		want []string
	}{
		{"none", Exclusions{}, all},
		{"pattern is case-sensitive", Exclusions{Patterns: []string{"*.tmp"}}, without("b.tmp")},
		{"ipattern ignores case", Exclusions{IPatterns: []string{"*.tmp"}}, without("b.tmp", "B.TMP")},
		{"upper-case ipattern", Exclusions{IPatterns: []string{"*.TMP"}}, without("b.tmp", "B.TMP")},
		{"ipattern with a path", Exclusions{IPatterns: []string{filepath.Join(dir, "MIXED/case")}},
			without("Mixed/Case/", "mixed/case/")},
		{"caches: only the tag is kept", Exclusions{IfPresent: []Marker{CacheMarker}},
			without("cache/data", "cache/deep/", "both/.nobackup", "both/data")},
		{"if present, no header", Exclusions{IfPresent: []Marker{{Name: ".nobackup"}}},
			without("skip/data", "hdr/data", "hdr2/data", "both/CACHEDIR.TAG", "both/data")},
		{"if present, with header", Exclusions{IfPresent: []Marker{ParseMarker(".nobackup:KEEP-OUT")}},
			without("hdr/data")},
		{"two markers in one directory", Exclusions{IfPresent: []Marker{CacheMarker, {Name: ".nobackup"}}},
			without("cache/data", "cache/deep/", "skip/data", "hdr/data", "hdr2/data", "both/.nobackup", "both/CACHEDIR.TAG", "both/data")},
		{"larger than 1k: files only, equal size kept", Exclusions{LargerThan: 1024},
			without("big.bin", "sub/big.bin")},
		{"larger than 2k", Exclusions{LargerThan: 2048}, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testRepo(t)
			res := save(t, r, []string{dir}, nil, Options{Exclude: c.ex})
			if got := savedPaths(t, r, res.Tree, dir); !slices.Equal(got, c.want) {
				t.Errorf("saved %q\nwant  %q", got, c.want)
			}
		})
	}
}

func TestParseMarker(t *testing.T) {
	for in, want := range map[string]Marker{
		".nobackup":          {Name: ".nobackup"},
		".nobackup:":         {Name: ".nobackup"},
		"TAG:Signature: abc": {Name: "TAG", Header: "Signature: abc"},
	} {
		if got := ParseMarker(in); got != want {
			t.Errorf("ParseMarker(%q) = %+v, want %+v", in, got, want)
		}
	}
}
