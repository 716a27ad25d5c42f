package restorer

import (
	"errors"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

// ErrIncludeAndExclude is the error of a restore given both include and
// exclude patterns: restic refuses them together, as they would contradict.
var ErrIncludeAndExclude = errors.New("exclude and include patterns are mutually exclusive")

// selector decides, from the patterns of Options, what a restore
// restores; the zero value restores everything.
type selector struct {
	include, iinclude pathmatch.List
	exclude, iexclude pathmatch.List
}

func newSelector(o Options) (selector, error) {
	var s selector
	var err error
	for _, p := range []struct {
		flag string
		pats []string
		dst  *pathmatch.List
		fold bool
	}{
		{"include", o.Include, &s.include, false},
		{"iinclude", o.IInclude, &s.iinclude, true},
		{"exclude", o.Exclude, &s.exclude, false},
		{"iexclude", o.IExclude, &s.iexclude, true},
	} {
		parse := pathmatch.Parse
		if p.fold {
			parse = pathmatch.ParseFold
		}
		if *p.dst, err = parse(p.pats); err != nil {
			return selector{}, fmt.Errorf("--%s: %w", p.flag, err)
		}
	}
	if s.includes() && s.excludes() {
		return selector{}, ErrIncludeAndExclude
	}
	return s, nil
}

func (s selector) includes() bool { return !s.include.Empty() || !s.iinclude.Empty() }
func (s selector) excludes() bool { return !s.exclude.Empty() || !s.iexclude.Empty() }

// selected reports, as restic's restore decides, whether the entry at
// snapshot path p is restored, and whether its children may be (for a
// directory, whether to descend). An excluded directory is not entered:
// nothing below it is restored.
func (s selector) selected(p string, isDir bool) (restore, descend bool) {
	switch {
	case s.excludes():
		restore = !s.exclude.Match(p) && !s.iexclude.Match(p)
		return restore, restore && isDir
	case s.includes():
		m1, c1 := s.include.MatchChild(p)
		m2, c2 := s.iinclude.MatchChild(p)
		return m1 || m2, (c1 || c2) && isDir
	}
	return true, isDir
}
