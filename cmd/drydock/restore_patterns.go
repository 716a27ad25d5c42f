package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

// patternFlags are one side of restore's restic filter flags: --include,
// --iinclude, --include-file, --iinclude-file (or the same for exclude).
type patternFlags struct {
	kind          string // "include" or "exclude"
	pats, ipats   []string
	files, ifiles []string
}

func (p *patternFlags) addFlags(f *pflag.FlagSet, kind, short, what string) {
	p.kind = kind
	f.StringArrayVarP(&p.pats, kind, short, nil, what+" paths matching a `pattern` (repeatable)")
	f.StringArrayVar(&p.ipats, "i"+kind, nil, "like --"+kind+" `pattern`, ignoring the case of names")
	f.StringArrayVar(&p.files, kind+"-file", nil, "read "+kind+" patterns from a `file` (repeatable)")
	f.StringArrayVar(&p.ifiles, "i"+kind+"-file", nil, "like --"+kind+"-file, ignoring the case of names")
}

// collect returns the patterns given and read from the files, each list
// checked, a malformed pattern named with the flag it came from.
func (p *patternFlags) collect() (pats, ipats []string, err error) {
	pats, err = p.withFiles(p.kind, p.pats, p.files)
	if err != nil {
		return nil, nil, err
	}
	ipats, err = p.withFiles("i"+p.kind, p.ipats, p.ifiles)
	return pats, ipats, err
}

func (p *patternFlags) withFiles(flag string, pats, files []string) ([]string, error) {
	if err := pathmatch.Check(pats); err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	out := append([]string(nil), pats...)
	for _, name := range files {
		read, err := pathmatch.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--%s-file: %w", flag, err)
		}
		if err := pathmatch.Check(read); err != nil {
			return nil, fmt.Errorf("--%s-file %s: %w", flag, name, err)
		}
		out = append(out, read...)
	}
	return out, nil
}
