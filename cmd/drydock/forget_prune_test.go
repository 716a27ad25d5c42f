package main

import (
	"encoding/json"
	mathrand "math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestForgetPrune: forget --prune removes the forgotten snapshots' data
// under the same lock, leaving a repository restic checks clean.
func TestForgetPrune(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	dir := t.TempDir()
	c := newCLI(t, filepath.Join(dir, "repo"))
	c.must("init")
	data := filepath.Join(dir, "data")
	for i := range 3 {
		b := make([]byte, 3<<20)
		_, _ = mathrand.NewChaCha8([32]byte{'f', 'p', byte(i)}).Read(b)
		writeFile(t, filepath.Join(data, "f"), b)
		c.must("backup", "--tag", "t", data)
	}
	packs := func() int { return len(strings.Fields(c.mustRestic(resticBin, "list", "packs"))) }
	before := packs()
	out := c.must("forget", "--keep-last", "1", "--prune", "--max-unused", "0")
	if !strings.Contains(out, "done") {
		t.Errorf("forget --prune output:\n%s", out)
	}
	var sns []json.RawMessage
	if err := json.Unmarshal([]byte(c.mustRestic(resticBin, "snapshots", "--json")), &sns); err != nil || len(sns) != 1 {
		t.Fatalf("snapshots after forget: %d (%v)", len(sns), err)
	}
	if after := packs(); after >= before {
		t.Errorf("packs %d -> %d: prune freed nothing", before, after)
	}
	if out := c.mustRestic(resticBin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}
