package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCheckJSONAsRestic: check --json prints restic 0.19's summary on
// stdout (message_type summary, num_errors, broken_packs, the two
// suggestions) and each error as a {"message_type":"error"} line on
// stderr, for a clean repository and for one with a damaged data pack.
func TestCheckJSONAsRestic(t *testing.T) {
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte(strings.Repeat("drydock ", 100000)), 0o644))
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	c.must("backup", src)

	type summary struct {
		MessageType        string   `json:"message_type"`
		NumErrors          int      `json:"num_errors"`
		BrokenPacks        []string `json:"broken_packs"`
		SuggestRepairIndex bool     `json:"suggest_repair_index"`
		SuggestPrune       bool     `json:"suggest_prune"`
	}
	var clean summary
	if err := json.Unmarshal([]byte(c.must("--json", "check", "--read-data")), &clean); err != nil {
		t.Fatal(err)
	}
	if clean.MessageType != "summary" || clean.NumErrors != 0 || clean.BrokenPacks == nil || len(clean.BrokenPacks) != 0 {
		t.Errorf("clean repository: %+v", clean)
	}

	// Flip a byte in the middle of the largest pack.
	var largest string
	var size int64
	must(t, filepath.Walk(filepath.Join(repoDir, "data"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() > size {
			largest, size = p, fi.Size()
		}
		return err
	}))
	data, err := os.ReadFile(largest)
	must(t, err)
	data[len(data)/2] ^= 1
	must(t, os.WriteFile(largest, data, 0o600))

	out, errOut, code := c.run("--json", "check", "--read-data")
	var damaged summary
	if err := json.Unmarshal([]byte(out), &damaged); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if code != exitFailure || damaged.NumErrors == 0 || !slices.Equal(damaged.BrokenPacks, []string{filepath.Base(largest)}) {
		t.Errorf("damaged pack %s: exit %d, summary %+v", filepath.Base(largest), code, damaged)
	}
	var errLines int
	for line := range strings.Lines(errOut) {
		var m struct {
			MessageType string `json:"message_type"`
			Message     string `json:"message"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.MessageType == "error" && m.Message != "" {
			errLines++
		}
	}
	if errLines != damaged.NumErrors {
		t.Errorf("%d error lines on stderr for %d errors:\n%s", errLines, damaged.NumErrors, errOut)
	}
}
