package location

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// TestKeyHint: opening a remote repository through a cache keeps the key
// file that opened it as the location's hint, named without the
// location's password; a hint that is garbage or another key's does not
// stop the next open and is replaced; a local repository gets none.
func TestKeyHint(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{})
	loc := secret.NewURL(srv.Location("hint"))
	pwFile := filepath.Join(t.TempDir(), "pw")
	if _, err := InitIfMissing(t.Context(), loc, pwFile, Options{}, repo.Options{}); err != nil {
		t.Fatal(err)
	}
	pw, err := ReadPassword(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	hint := keyHintPath(base, loc)
	open := func() []byte {
		t.Helper()
		r, err := OpenRepository(t.Context(), loc, pw, Options{CacheDir: base}, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.Backend().Close()
		got, err := os.ReadFile(hint)
		if err != nil || !bytes.Equal(got, r.KeyFile()) || format.Hash(got) != r.KeyID() {
			t.Fatalf("hint %s: %d bytes, %v; want the key file %s", hint, len(got), err, r.KeyID().Str())
		}
		return got
	}
	key := open()
	if info, err := os.Stat(hint); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("hint mode %v, %v; want 0600", info.Mode(), err)
	}
	for _, stale := range [][]byte{[]byte("not a key file"), bytes.Replace(key, []byte(`"salt":"`), []byte(`"salt":"AAAA`), 1)} {
		if err := os.WriteFile(hint, stale, 0o600); err != nil {
			t.Fatal(err)
		}
		if got := open(); !bytes.Equal(got, key) {
			t.Errorf("the stale hint was not replaced by the key file")
		}
	}

	local := t.TempDir()
	lpw := filepath.Join(t.TempDir(), "pw")
	if _, err := InitIfMissing(t.Context(), secret.NewURL(local), lpw, Options{}, repo.Options{}); err != nil {
		t.Fatal(err)
	}
	lp, _ := ReadPassword(lpw)
	r, err := OpenRepository(t.Context(), secret.NewURL(local), lp, Options{CacheDir: base}, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Backend().Close()
	if entries, _ := os.ReadDir(filepath.Join(base, keyHintDir)); len(entries) != 1 {
		t.Errorf("hints %v, want the remote repository's alone", entries)
	}
}
