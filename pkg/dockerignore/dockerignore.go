// Package dockerignore decides which files of a build context Docker
// leaves out, by the rules of a .dockerignore file: one pattern a line,
// # comments, Go filepath.Match syntax plus ** for any number of
// directories, a leading ! for an exception, the last matching line
// deciding. A pattern that matches a directory leaves out what is below
// it.
package dockerignore

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// Matcher holds the patterns of one .dockerignore file.
type Matcher struct {
	patterns []pattern
}

type pattern struct {
	re        *regexp.Regexp
	exception bool
}

// Parse reads a .dockerignore file.
func Parse(r io.Reader) (*Matcher, error) {
	m := &Matcher{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		exception := strings.HasPrefix(line, "!")
		if exception {
			line = strings.TrimSpace(line[1:])
		}
		if line == "" {
			continue
		}
		// Patterns are relative to the context's root, whatever their
		// leading slash or dots.
		line = strings.TrimPrefix(path.Clean(line), "/")
		re, err := compile(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", n, line, err)
		}
		m.patterns = append(m.patterns, pattern{re: re, exception: exception})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// Excluded reports whether the file or directory at rel (slash-separated,
// relative to the context's root) is left out of the context.
func (m *Matcher) Excluded(rel string) bool {
	rel = path.Clean(rel)
	excluded := false
	for _, p := range m.patterns {
		// Only a pattern that can change the verdict needs testing.
		if p.exception != excluded {
			continue
		}
		if p.matches(rel) {
			excluded = !p.exception
		}
	}
	return excluded
}

// HasExceptions reports whether a ! line may bring back a file below a
// directory left out: only then must such a directory still be walked.
func (m *Matcher) HasExceptions() bool {
	for _, p := range m.patterns {
		if p.exception {
			return true
		}
	}
	return false
}

// matches: rel or one of its parent directories matches.
func (p pattern) matches(rel string) bool {
	for {
		if p.re.MatchString(rel) {
			return true
		}
		i := strings.LastIndexByte(rel, '/')
		if i < 0 {
			return false
		}
		rel = rel[:i]
	}
}

// compile turns a pattern into an anchored regular expression: * and ?
// stay within one path element, ** spans any number of them, [...] is a
// character class and \ escapes the next character.
func compile(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			i++
			if i+1 < len(p) && p[i+1] == '/' {
				i++
				b.WriteString("(.*/)?") // zero or more directories
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '\\':
			if i+1 == len(p) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		case c == '[':
			j := classEnd(p, i)
			if j < 0 {
				return nil, fmt.Errorf("unterminated character class")
			}
			class := p[i+1 : j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// classEnd is the index of the ] closing the class opened at p[i].
func classEnd(p string, i int) int {
	j := i + 1
	if j < len(p) && (p[j] == '!' || p[j] == '^') {
		j++
	}
	if j < len(p) && p[j] == ']' {
		j++ // a leading ] is a member
	}
	for ; j < len(p); j++ {
		switch p[j] {
		case '\\':
			j++
		case ']':
			return j
		}
	}
	return -1
}
