package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

func packCount(t *testing.T, repoDir string) int {
	n, _ := packStats(t, repoDir)
	return n
}

// packStats counts a local repository's packs and their mean size.
func packStats(t *testing.T, repoDir string) (n int, mean float64) {
	t.Helper()
	var total int64
	err := filepath.Walk(filepath.Join(repoDir, "data"), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
			total += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		mean = float64(total) / float64(n)
	}
	return n, mean
}

// TestPackSizeAndLimits: --pack-size (and RESTIC_PACK_SIZE) makes smaller
// packs that restic 0.14 checks clean; --limit-upload holds a backup to
// its rate; bad values are refused before anything is opened.
func TestPackSizeAndLimits(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	writeRandomFiles(t, src, 6, 6<<20)
	means := map[string]float64{}
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"default", nil, ""},
		{"flag", []string{"--pack-size", "4"}, ""},
		{"env", nil, "4"},
	} {
		dir := filepath.Join(t.TempDir(), "repo")
		c := newCLI(t, dir)
		if tc.env != "" {
			c.env["RESTIC_PACK_SIZE"] = tc.env
		}
		c.must("init")
		c.must(append(tc.args, "backup", "-q", src)...)
		_, means[tc.name] = packStats(t, dir)
		c.mustRestic(bin, "check", "--read-data")
	}
	// Several packs fill at once, so 36 MiB make packs of about 6 MiB at
	// the default 16 MiB target, and of at most about 4 MiB at 4.
	for _, name := range []string{"flag", "env"} {
		if means[name] > 5<<20 || means["default"] < 1.3*means[name] {
			t.Errorf("mean pack size %v; want at most 5 MiB with 4 MiB packs (%s), well below the default's", means, name)
		}
	}

	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	c.must("init")
	small := t.TempDir()
	writeRandomFiles(t, small, 1, 1<<20)
	start := time.Now()
	c.must("--limit-upload", "512", "backup", "-q", small)
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("1 MiB backed up at 512 KiB/s in %v, want at least about 2 s", took)
	}
	c.must("--limit-download", "100000", "check", "--read-data")
	for _, args := range [][]string{{"--pack-size", "2"}, {"--pack-size", "129"}, {"--limit-upload=-1"}} {
		before := packCount(t, dir)
		_, errOut, code := c.run(append(args, "backup", small)...)
		if code != 1 || !strings.Contains(errOut, strings.SplitN(args[0][2:], "=", 2)[0]) || packCount(t, dir) != before {
			t.Errorf("%q: exit %d, %q; want exit 1 naming the flag, nothing written", args, code, errOut)
		}
	}
	c.env["RESTIC_PACK_SIZE"] = "big"
	if _, errOut, code := c.run("snapshots"); code != 1 || !strings.Contains(errOut, "RESTIC_PACK_SIZE") {
		t.Errorf("RESTIC_PACK_SIZE=big: exit %d, %q", code, errOut)
	}
}
