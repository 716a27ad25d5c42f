package pathmatch

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// pattern is one parsed pattern.
type pattern struct {
	parts    []string // components; "/" first if anchored, "**" for any run
	anchored bool
	negated  bool
}

// List is a parsed list of patterns; the zero value matches nothing.
type List struct {
	pats    []pattern
	negates bool // some pattern is negated: every pattern must be tried
	fold    bool // match ignoring case
}

// Parse checks and parses patterns; empty ones are skipped. The error
// names the first malformed pattern and wraps filepath.ErrBadPattern.
func Parse(patterns []string) (List, error) {
	var l List
	for _, p := range patterns {
		if p == "" {
			continue
		}
		pat, err := parse(p)
		if err != nil {
			return List{}, err
		}
		l.pats = append(l.pats, pat)
		l.negates = l.negates || pat.negated
	}
	return l, nil
}

// ParseFold is Parse for patterns matched ignoring case (restic's
// --iexclude, --iinclude).
func ParseFold(patterns []string) (List, error) {
	lower := make([]string, len(patterns))
	for i, p := range patterns {
		lower[i] = strings.ToLower(p)
	}
	l, err := Parse(lower)
	l.fold = true
	return l, err
}

// Check returns the error Parse would.
func Check(patterns []string) error {
	_, err := Parse(patterns)
	return err
}

func parse(p string) (pattern, error) {
	pat := pattern{}
	s := p
	if strings.HasPrefix(s, "!") {
		pat.negated, s = true, s[1:]
	}
	s = filepath.Clean(s)
	pat.anchored = strings.HasPrefix(s, "/")
	if pat.anchored {
		pat.parts = append(pat.parts, "/")
		s = strings.TrimLeft(s, "/")
	}
	if s != "" {
		pat.parts = append(pat.parts, strings.Split(s, "/")...)
	}
	for _, part := range pat.parts {
		// Match checks a component's whole syntax even where the name
		// does not match, so any name will do.
		if _, err := filepath.Match(part, ""); err != nil {
			return pattern{}, fmt.Errorf("pattern %q: %w", p, err)
		}
	}
	return pat, nil
}

// Empty reports whether l has no pattern.
func (l List) Empty() bool { return len(l.pats) == 0 }

// Match reports whether the absolute path p is matched.
func (l List) Match(p string) bool {
	m, _ := l.match(p, false)
	return m
}

// MatchChild reports whether the absolute path p is matched, and whether
// a path below p may be (restore descends into a directory only then).
func (l List) MatchChild(p string) (matched, childMay bool) {
	return l.match(p, true)
}

func (l List) match(p string, child bool) (matched, childMay bool) {
	if len(l.pats) == 0 {
		return false, false
	}
	if l.fold {
		p = strings.ToLower(p)
	}
	comps := split(p)
	for _, pat := range l.pats {
		m := pat.match(comps)
		if pat.negated {
			matched = matched && !m
			childMay = childMay && !m
			continue
		}
		matched = matched || m
		childMay = childMay || !child || pat.childMay(comps)
		if matched && childMay && !l.negates {
			break // nothing later can change the answer
		}
	}
	return matched, childMay
}

// split returns the components of an absolute path, "/" first.
func split(p string) []string {
	p = path.Clean("/" + p)
	if p == "/" {
		return []string{"/"}
	}
	return append([]string{"/"}, strings.Split(p[1:], "/")...)
}

// match reports whether pat matches the first components of comps
// (anchored) or a run of them after the root (not anchored).
func (pat pattern) match(comps []string) bool {
	if pat.anchored {
		return prefix(pat.parts, comps)
	}
	for start := 1; start < len(comps); start++ {
		if prefix(pat.parts, comps[start:]) {
			return true
		}
	}
	return false
}

// prefix reports whether parts match the first components of comps,
// "**" standing for any number of them.
func prefix(parts, comps []string) bool {
	for i, part := range parts {
		if part == "**" {
			for skip := 0; skip <= len(comps)-i; skip++ {
				if prefix(parts[i+1:], comps[i+skip:]) {
					return true
				}
			}
			return false
		}
		if i >= len(comps) || !component(part, comps[i]) {
			return false
		}
	}
	return true
}

func component(part, name string) bool {
	if part == name {
		return true
	}
	ok, _ := filepath.Match(part, name)
	return ok
}

// childMay reports whether a path below comps may match pat: always for
// a pattern not anchored; for an anchored one, if comps agree with its
// components as far as both go, up to its first "**".
func (pat pattern) childMay(comps []string) bool {
	if !pat.anchored {
		return true
	}
	for i, part := range pat.parts {
		if part == "**" || i >= len(comps) {
			return true
		}
		if !component(part, comps[i]) {
			return false
		}
	}
	return true
}
