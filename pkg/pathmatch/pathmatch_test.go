package pathmatch_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

// The cases follow restic 0.19.1's filter semantics, as its --exclude and
// --include document them.
func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pats  []string
		path  string
		match bool
		child bool // MatchChild's second answer
	}{
		{[]string{"*.tmp"}, "/data/x.tmp", true, true},
		{[]string{"*.tmp"}, "/data/x.tmpl", false, true},
		{[]string{"*.tmp"}, "/a/b.tmp/c", true, true},
		{[]string{"/data/cache"}, "/data/cache/deep/file", true, true},
		{[]string{"/data/cache"}, "/data/cachet", false, false},
		{[]string{"/data/cache"}, "/data", false, true},
		{[]string{"/data/cache"}, "/other", false, false},
		{[]string{"/data/*/logs"}, "/data/app/logs/x", true, true},
		{[]string{"/data/*/logs"}, "/data/app", false, true},
		{[]string{"logs/*.gz"}, "/var/logs/old.gz", true, true},
		{[]string{"logs/*.gz"}, "/var/logs", false, true},
		{[]string{"data"}, "/srv/data/x", true, true},
		{[]string{"/srv/**/x"}, "/srv/x", true, true},
		{[]string{"/srv/**/x"}, "/srv/a/b/x", true, true},
		{[]string{"/srv/**/x"}, "/srv/a/b", false, true},
		{[]string{"/srv/**/x"}, "/etc", false, false},
		{[]string{"**/*.go"}, "/a/b/c.go", true, true},
		{[]string{"/srv/**"}, "/srv", true, true},
		{[]string{"/a/b/"}, "/a/b", true, true},
		{[]string{"*"}, "/x", true, true},
		{[]string{"*.tmp", "!keep.tmp"}, "/d/keep.tmp", false, false},
		{[]string{"*.tmp", "!keep.tmp"}, "/d/lose.tmp", true, true},
		{[]string{"!x", "x"}, "/x", true, true},
		{[]string{""}, "/x", false, false},
		{nil, "/data/x", false, false},
	} {
		l, err := pathmatch.Parse(c.pats)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.pats, err)
		}
		if got := l.Match(c.path); got != c.match {
			t.Errorf("%q Match(%q) = %v, want %v", c.pats, c.path, got, c.match)
		}
		if m, ch := l.MatchChild(c.path); m != c.match || ch != c.child {
			t.Errorf("%q MatchChild(%q) = %v, %v, want %v, %v", c.pats, c.path, m, ch, c.match, c.child)
		}
	}
}

func TestParseFold(t *testing.T) {
	l, err := pathmatch.ParseFold([]string{"/Data/*.JPG"})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"/data/a.jpg": true, "/DATA/B.Jpg": true, "/data/a.png": false} {
		if got := l.Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
	if l, _ := pathmatch.Parse([]string{"/Data"}); l.Match("/data") {
		t.Error("Parse matched ignoring case")
	}
}

func TestParseBad(t *testing.T) {
	for _, c := range []struct {
		pats []string
		bad  string // the pattern the error must name; "" if none is bad
	}{
		{nil, ""},
		{[]string{"*.tmp", "/data/*/logs", "[abc]", `\*`, "**", "!x"}, ""},
		{[]string{"["}, "["},
		{[]string{"*.tmp", "/var/[cache"}, "/var/[cache"},
		{[]string{"[a-]"}, "[a-]"},
		{[]string{`trailing\`}, `trailing\`},
	} {
		err := pathmatch.Check(c.pats)
		if c.bad == "" {
			if err != nil {
				t.Errorf("Check(%q) = %v, want nil", c.pats, err)
			}
			continue
		}
		if !errors.Is(err, filepath.ErrBadPattern) || !strings.Contains(err.Error(), `"`+strings.ReplaceAll(c.bad, `\`, `\\`)+`"`) {
			t.Errorf("Check(%q) = %v, want ErrBadPattern naming %q", c.pats, err, c.bad)
		}
	}
}

func TestReadFile(t *testing.T) {
	t.Setenv("DRYDOCK_TEST_DIR", "/srv/app")
	p := filepath.Join(t.TempDir(), "patterns")
	body := "\xef\xbb\xbf# caches\n*.tmp\n\n  $DRYDOCK_TEST_DIR/cache  \r\n#/not/this\n/price$$\n/last"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := pathmatch.ReadFile(p)
	if want := []string{"*.tmp", "/srv/app/cache", "/price$", "/last"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadFile: %q, %v; want %q", got, err, want)
	}
	if _, err := pathmatch.ReadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing pattern file was read")
	}
}
