package archiver

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestScanCountsWhatSaveReads: Scan's totals are the files and bytes a
// first backup with the same exclusions processes (a pattern, a size
// limit, a marker, a target that is a file), and its running reports
// never pass the final totals.
func TestScanCountsWhatSaveReads(t *testing.T) {
	src := t.TempDir()
	files := map[string]int{"a": 10, "b.tmp": 20, "d/c": 30, "d/big": 5000, "cache/CACHEDIR.TAG": 43, "cache/x": 70, "e/f/g": 1}
	for name, size := range files {
		p := filepath.Join(src, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		data := strings.Repeat("x", size)
		if strings.HasSuffix(name, "CACHEDIR.TAG") {
			data = CacheMarker.Header
		}
		must(t, os.WriteFile(p, []byte(data), 0o644))
	}
	must(t, os.Symlink("a", filepath.Join(src, "link")))
	alone := filepath.Join(t.TempDir(), "alone")
	must(t, os.WriteFile(alone, []byte("12345"), 0o644))
	opts := Options{Exclude: Exclusions{Patterns: []string{"*.tmp"}, LargerThan: 1000, IfPresent: []Marker{CacheMarker}}}
	targets := []string{src, alone}
	var reports []ScanTotal
	total, err := Scan(t.Context(), targets, opts, func(s ScanTotal) { reports = append(reports, s) })
	must(t, err)
	res := save(t, testRepo(t), targets, nil, opts)
	if total.Files != res.Stats.FilesProcessed || total.Bytes != res.Stats.BytesProcessed || total.Files != 5 {
		t.Errorf("scan counted %+v; the backup processed %d files, %d bytes (want 5 files)", total, res.Stats.FilesProcessed, res.Stats.BytesProcessed)
	}
	if len(reports) == 0 || reports[len(reports)-1] != total {
		t.Errorf("reports %v, want the totals last", reports)
	}
}

// TestReadingAndErrors: Reading names each file while it is read, in
// pairs of start and end, and Stats.Errors counts the warnings as the
// backup goes.
func TestReadingAndErrors(t *testing.T) {
	src := t.TempDir()
	for _, name := range []string{"one", "two", "vanishes"} {
		must(t, os.WriteFile(filepath.Join(src, name), []byte(name), 0o644))
	}
	var mu sync.Mutex
	open := map[string]bool{}
	var read []string
	var lastErrors uint
	res := save(t, testRepo(t), []string{src}, nil, Options{
		beforeOpen: func(p string) {
			if filepath.Base(p) == "vanishes" {
				os.Remove(p)
			}
		},
		Reading: func(p string, reading bool) {
			mu.Lock()
			defer mu.Unlock()
			if open[p] == reading {
				t.Errorf("Reading(%s, %v) twice", p, reading)
			}
			open[p] = reading
			if reading {
				read = append(read, filepath.Base(p))
			}
		},
		Progress: func(s Stats) {
			mu.Lock()
			lastErrors = max(lastErrors, s.Errors)
			mu.Unlock()
		},
	})
	slices.Sort(read)
	if !slices.Equal(read, []string{"one", "two", "vanishes"}) {
		t.Errorf("read %v", read)
	}
	for p, reading := range open {
		if reading {
			t.Errorf("%s is still being read at the end", p)
		}
	}
	if len(res.Warnings) != 1 || lastErrors != 1 || res.Stats.Errors != 1 {
		t.Errorf("%d warnings, progress reported %d errors, stats %d", len(res.Warnings), lastErrors, res.Stats.Errors)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
