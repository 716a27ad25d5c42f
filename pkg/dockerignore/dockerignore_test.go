package dockerignore

import (
	"strings"
	"testing"
)

func TestExcluded(t *testing.T) {
	for _, tc := range []struct {
		ignore string
		path   string
		want   bool
	}{
		{"", "a", false},
		{"# comment\n\n", "# comment", false},
		{"a", "a", true},
		{"a", "a/b/c", true}, // below an excluded directory
		{"a", "b/a", false},  // anchored at the context's root
		{"/a", "a", true},
		{"./a", "a", true},
		{"a/", "a/x", true},
		{"*.log", "x.log", true},
		{"*.log", "d/x.log", false}, // * stays in one element
		{"*/*.log", "d/x.log", true},
		{"**/*.log", "x.log", true},
		{"**/*.log", "d/e/x.log", true},
		{"d/**", "d/e/f", true},
		{"d/**/f", "d/f", true},
		{"d/**/f", "d/x/y/f", true},
		{"d/**/f", "d/x/y/g", false},
		{"**", "anything/at/all", true},
		{"?.txt", "a.txt", true},
		{"?.txt", "ab.txt", false},
		{"?", "/", false},
		{"[ab].txt", "b.txt", true},
		{"[!ab].txt", "b.txt", false},
		{"[!ab].txt", "c.txt", true},
		{"[^ab].txt", "c.txt", true},
		{"[a-c]", "b", true},
		{`\*`, "*", true},
		{`\*`, "x", false},
		{"a.b", "axb", false}, // a dot is a dot
		{"*.md\n!README.md", "README.md", false},
		{"*.md\n!README.md", "CHANGES.md", true},
		{"*.md\n!README.md\nREADME*", "README.md", true}, // the last match decides
		{"secret\n!secret/keep", "secret/keep", false},
		{"secret\n!secret/keep", "secret/drop", true},
		{"!a", "a", false},
		{"  spaced  ", "spaced", true},
	} {
		m, err := Parse(strings.NewReader(tc.ignore))
		if err != nil {
			t.Fatalf("%q: %v", tc.ignore, err)
		}
		if got := m.Excluded(tc.path); got != tc.want {
			t.Errorf(".dockerignore %q: Excluded(%q) = %v, want %v", tc.ignore, tc.path, got, tc.want)
		}
	}
}

func TestHasExceptions(t *testing.T) {
	for ignore, want := range map[string]bool{"a\nb": false, "a\n!a/b": true, "": false} {
		m, err := Parse(strings.NewReader(ignore))
		if err != nil || m.HasExceptions() != want {
			t.Errorf("%q: HasExceptions %v (%v), want %v", ignore, m.HasExceptions(), err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, ignore := range []string{"ok\n[abc", `trailing\`} {
		if _, err := Parse(strings.NewReader(ignore)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("%q: error %v, want one naming the line", ignore, err)
		}
	}
}
