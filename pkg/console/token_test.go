package console

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console-token")
	tok, created, err := LoadOrCreateToken(path)
	if err != nil || !created {
		t.Fatalf("first start: %v, created %v", err, created)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(tok.Reveal()) {
		t.Errorf("token %q: want 256 bits as hex", tok.Reveal())
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v, want 0600", err, fi.Mode())
	}
	again, created, err := LoadOrCreateToken(path)
	if err != nil || created || again.Reveal() != tok.Reveal() {
		t.Errorf("second start: %v, created %v, same token %v", err, created, again.Reveal() == tok.Reveal())
	}
	if strings.Contains(tok.String(), tok.Reveal()) {
		t.Error("the token prints itself")
	}

	os.Chmod(path, 0o640)
	if _, _, err := LoadOrCreateToken(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("group-readable token file: %v, want refused", err)
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	if _, _, err := LoadOrCreateToken(short); err == nil {
		t.Error("a 3-character token was accepted")
	}
	hand := filepath.Join(t.TempDir(), "hand")
	os.WriteFile(hand, []byte("  "+testToken+"\n"), 0o600)
	if tok, _, err := LoadOrCreateToken(hand); err != nil || tok.Reveal() != testToken {
		t.Errorf("hand-written token: %v, %q", err, tok.Reveal())
	}
}
