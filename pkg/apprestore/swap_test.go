package apprestore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSwapDirs: a swap replaces the directory, atomically or by two
// renames; a failed one keeps the old data in place.
func TestSwapDirs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exchange func(a, b string) error
	}{
		{"exchange", exchangeDirs},
		{"two renames", func(string, string) error { return errNoExchange }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(e func(a, b string) error) { exchange = e }(exchange)
			exchange = tc.exchange
			base := t.TempDir()
			dir, staged, old := filepath.Join(base, "_data"), filepath.Join(base, "staged"), filepath.Join(base, "old")
			writeFile(t, filepath.Join(dir, "f"), []byte("old"))

			if at, err := SwapDirs(dir, staged, old); err == nil || at != "" || !strings.Contains(err.Error(), "old data kept") {
				t.Fatalf("swap without staged data: %q, %v", at, err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || string(b) != "old" {
				t.Fatalf("after a failed swap: %q, %v", b, err)
			}

			writeFile(t, filepath.Join(staged, "f"), []byte("new"))
			at, err := SwapDirs(dir, staged, old)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || string(b) != "new" {
				t.Fatalf("after the swap: %q, %v", b, err)
			}
			if b, err := os.ReadFile(filepath.Join(at, "f")); err != nil || string(b) != "old" {
				t.Fatalf("old data at %s: %q, %v", at, b, err)
			}
		})
	}
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
