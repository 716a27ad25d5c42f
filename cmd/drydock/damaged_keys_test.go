package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedKeyFileIsSkipped: a truncated key file and one of garbage
// JSON (listed before the good one) do not lock the password out: they are
// skipped with a warning naming them. A wrong password is still exit 12;
// when every key file is damaged, the error says so instead of blaming
// the password.
func TestDamagedKeyFileIsSkipped(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	keysDir := filepath.Join(repoDir, "keys")
	entries, err := os.ReadDir(keysDir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("keys: %v %v", entries, err)
	}
	good := filepath.Join(keysDir, entries[0].Name())
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// Listed before the good one: a truncated copy and garbage JSON.
	truncated := strings.Repeat("0", 64)
	garbageName := strings.Repeat("0", 63) + "1"
	garbage := []byte(`{"kdf":"scrypt","N":`)
	for name, data := range map[string][]byte{truncated: raw[:len(raw)/2], garbageName: garbage} {
		if err := os.WriteFile(filepath.Join(keysDir, name), data, 0o400); err != nil {
			t.Fatal(err)
		}
	}

	out, errOut, code := c.run("snapshots")
	if code != 0 || !strings.Contains(errOut, "skipping unreadable key file") || !strings.Contains(errOut, truncated[:8]) {
		t.Fatalf("right password beside damaged keys: exit %d\n%s%s", code, out, errOut)
	}

	c.env["RESTIC_PASSWORD"] = "not the password"
	if _, errOut, code := c.run("snapshots"); code != exitWrongPass {
		t.Fatalf("wrong password beside damaged keys: exit %d, want %d\n%s", code, exitWrongPass, errOut)
	}

	c.env["RESTIC_PASSWORD"] = "interop password"
	if err := os.Remove(good); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = c.run("snapshots")
	if code == exitWrongPass || code == 0 || !strings.Contains(errOut, "no key file could be read") {
		t.Fatalf("only damaged keys: exit %d\n%s", code, errOut)
	}
}
