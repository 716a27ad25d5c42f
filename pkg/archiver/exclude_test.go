package archiver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
)

func TestCheckPatterns(t *testing.T) {
	for _, c := range []struct {
		pats []string
		bad  string // the pattern the error must name; "" if none is bad
	}{
		{nil, ""},
		{[]string{"*.tmp", "/data/*/logs", "[abc]", `\*`}, ""},
		{[]string{"["}, "["},
		{[]string{"*.tmp", "/var/[cache"}, "/var/[cache"},
		{[]string{"[a-]"}, "[a-]"},
		{[]string{`trailing\`}, `trailing\`},
	} {
		err := CheckPatterns(c.pats)
		if c.bad == "" {
			if err != nil {
				t.Errorf("CheckPatterns(%q) = %v, want nil", c.pats, err)
			}
			continue
		}
		if !errors.Is(err, filepath.ErrBadPattern) || !strings.Contains(err.Error(), `"`+strings.ReplaceAll(c.bad, `\`, `\\`)+`"`) {
			t.Errorf("CheckPatterns(%q) = %v, want ErrBadPattern naming %q", c.pats, err, c.bad)
		}
	}
}

// Save refuses a malformed exclude pattern rather than backing up what it
// was meant to leave out.
func TestSaveRejectsBadPattern(t *testing.T) {
	r := testRepo(t)
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		_, err := Save(ctx, r, s, []string{t.TempDir()}, nil, Options{Exclude: Exclusions{Patterns: []string{"["}}})
		return err
	})
	if !errors.Is(err, filepath.ErrBadPattern) {
		t.Fatalf("Save with exclude %q: %v, want ErrBadPattern", "[", err)
	}
}

func TestReadPatternFile(t *testing.T) {
	t.Setenv("DRYDOCK_TEST_DIR", "/srv/app")
	p := filepath.Join(t.TempDir(), "excludes")
	if err := os.WriteFile(p, []byte("# caches\n*.tmp\n\n  $DRYDOCK_TEST_DIR/cache  \r\n#/not/this\n/last"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPatternFile(p)
	if want := []string{"*.tmp", "/srv/app/cache", "/last"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadPatternFile: %q, %v; want %q", got, err, want)
	}
	if _, err := ReadPatternFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing exclude file was read")
	}
}
