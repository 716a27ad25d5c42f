package cache_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend/cache"
)

func TestDefaultBase(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for an error
	}{
		{"xdg", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/drydock"},
		{"home", map[string]string{"HOME": "/h"}, "/h/.cache/drydock"},
		{"neither", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cache.DefaultBase(func(k string) string { return tc.env[k] })
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Errorf("DefaultBase = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestOpen: the directories are private to the user, the base carries a
// CACHEDIR.TAG with the signature tools look for, and a bad ID is refused.
func TestOpen(t *testing.T) {
	base := filepath.Join(t.TempDir(), "a", "cache")
	d, err := cache.Open(base, repoID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base, d.Path(), filepath.Join(d.Path(), "index"), filepath.Join(d.Path(), "data")} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want mode 0700", p, st.Mode(), err)
		}
	}
	tag, err := os.ReadFile(filepath.Join(base, "CACHEDIR.TAG"))
	if err != nil || !strings.HasPrefix(string(tag), "Signature: 8a477f597d28d172789f06886806bc55") {
		t.Errorf("CACHEDIR.TAG: %q, %v", tag, err)
	}
	for _, id := range []string{"", "../../etc", strings.Repeat("A", 64)} {
		if _, err := cache.Open(base, id); err == nil {
			t.Errorf("Open(%q) accepted", id)
		}
	}
}

// TestListAndOld: caches are listed oldest first with their sizes; those
// unused for longer than the age are old; other entries of the base are
// not caches.
func TestListAndOld(t *testing.T) {
	base := t.TempDir()
	now := time.Now()
	ids := map[string]time.Duration{
		strings.Repeat("a", 64): 40 * 24 * time.Hour,
		strings.Repeat("b", 64): 2 * 24 * time.Hour,
		strings.Repeat("c", 64): 31 * 24 * time.Hour,
	}
	for id, age := range ids {
		d, err := cache.Open(base, id)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(d.Path(), "index", id), make([]byte, 1000), 0o600))
		must(t, os.Chtimes(d.Path(), now.Add(-age), now.Add(-age)))
	}
	must(t, os.Mkdir(filepath.Join(base, "not-a-cache"), 0o700))
	entries, err := cache.List(base, true)
	must(t, err)
	var order []string
	for _, e := range entries {
		order = append(order, e.ID[:1])
		if e.Size != 1000 {
			t.Errorf("%s: size %d, want 1000", e.ID[:1], e.Size)
		}
	}
	if strings.Join(order, "") != "acb" {
		t.Errorf("order %v, want a c b (least recently used first)", order)
	}
	old := cache.Old(entries, 30*24*time.Hour, now)
	if len(old) != 2 || old[0].ID[:1] != "a" || old[1].ID[:1] != "c" {
		t.Errorf("old = %v, want a and c", old)
	}
	if e, _ := cache.List(base, false); e[0].Size != -1 {
		t.Errorf("unmeasured size = %d, want -1", e[0].Size)
	}
	if e, err := cache.List(filepath.Join(base, "missing"), true); err != nil || len(e) != 0 {
		t.Errorf("List of a missing base = %v, %v", e, err)
	}
}
