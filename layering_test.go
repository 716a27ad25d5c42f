package drydock_test

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The module's floors, top to bottom. A package may import only packages
// on a lower floor: the command above the daemon, above the use cases,
// above what they are made of, above the repository, above its codecs and
// storage. Every package of the module must be here, so a new one is
// placed on purpose.
//
// Columns keep the sides apart that only an upper floor may join: the
// Docker side ("docker": it knows nothing of repositories), storage
// ("backend": a backend moves named files and knows nothing of their
// format) and the format ("format": codecs that know nothing of storage).
// A package of a column reaches, directly or not, no other column.
var floors = []struct {
	rank   int
	column string
	pkgs   []string
}{
	{100, "", []string{"cmd/drydock", "bench/warmbackup", "bench/consolebench", "bench/probeeval", "bench/sha256walk", "bench/gatherprobe", "bench"}},
	{90, "", []string{"pkg/orchestrate"}},
	{88, "", []string{"pkg/console"}},
	{85, "", []string{"pkg/orchestrate/config"}},
	{80, "", []string{"pkg/drill"}},
	{75, "", []string{"pkg/apprestore"}},
	{70, "", []string{"pkg/appdef"}},
	{65, "", []string{"pkg/backup", "pkg/verify", "pkg/snapcopy"}},
	{60, "", []string{"pkg/archiver", "pkg/restorer", "pkg/prune", "pkg/checker", "pkg/snaptree", "pkg/snapdiff", "pkg/mount"}},
	{62, "", []string{"pkg/snapedit", "pkg/repair"}},
	{55, "", []string{"pkg/fsnode", "pkg/retention", "pkg/location", "pkg/resticjson"}},
	{50, "", []string{"pkg/repo"}},
	{45, "backend", []string{"pkg/backend/s3", "pkg/backend/rclone"}},
	{44, "backend", []string{"pkg/backend/cache", "pkg/backend/limit", "pkg/backend/retry", "pkg/backend/local", "pkg/backend/rest", "pkg/backend/sftp"}},
	{43, "backend", []string{"pkg/backend"}},
	{40, "format", []string{"pkg/repo/pack"}},
	{39, "format", []string{"pkg/repo/index", "pkg/repo/walk"}},
	{39, "", []string{"internal/lockowner"}},
	{38, "format", []string{"pkg/repo/crypto"}},
	{37, "format", []string{"pkg/repo/format"}},
	{36, "format", []string{"pkg/repo/compress"}},
	{30, "", []string{"pkg/chunker", "pkg/directio", "pkg/pathmatch"}},
	{25, "docker", []string{"pkg/volume"}},
	{22, "docker", []string{"pkg/appplan"}},
	{20, "docker", []string{"pkg/dockerignore"}},
	{15, "", []string{"internal/heldfile"}},
	{12, "", []string{"pkg/oplog"}},
	{10, "", []string{"internal/errjoin", "internal/bufpool", "internal/fsutil", "internal/humanize", "internal/statedir", "pkg/chunker/internal/asmgen", "pkg/secret"}},
}

// forbidden are imports from outside the module that packages (a path or
// a prefix ending in "/") must not have: the repository's and the
// storage's layers never touch Docker, and the app plan is pure (Docker's
// API types, never its client).
var forbidden = []struct{ pkgs, imports []string }{
	{[]string{"pkg/repo", "pkg/repo/", "pkg/backend", "pkg/backend/", "pkg/chunker"}, []string{"github.com/docker/", "github.com/moby/"}},
	{[]string{"pkg/appplan"}, []string{"github.com/docker/docker/client"}},
}

// testOnly are packages for tests (fixtures, servers, suites, a test
// container's program): they may import anything, and nothing on a floor
// may import them, so that none of it ships in the binary.
var testOnly = []string{"internal/testkit/", "pkg/backend/backendtest", "pkg/volume/internal/testapp"}

const module = "github.com/drydock-backup/drydock/"

func TestLayering(t *testing.T) {
	g, err := loadModule(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(g) < 40 {
		t.Fatalf("found only %d packages in the module: %v", len(g), slices.Sorted(maps.Keys(g)))
	}
	for _, err := range checkLayering(g) {
		t.Error(err)
	}
}

// TestForbiddenImports: no package imports what forbidden keeps from it.
func TestForbiddenImports(t *testing.T) {
	_, external, err := loadImports(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range checkForbidden(external) {
		t.Error(err)
	}
	for pkg, imp := range map[string]string{
		"pkg/repo/pack": "github.com/docker/docker/client",
		"pkg/appplan":   "github.com/docker/docker/client",
	} {
		if errs := checkForbidden(map[string][]string{pkg: {imp}}); len(errs) != 1 {
			t.Errorf("%s importing %s got %v, want one error", pkg, imp, errs)
		}
	}
}

func checkForbidden(external map[string][]string) []error {
	matches := func(list []string, s string) bool {
		return slices.ContainsFunc(list, func(p string) bool {
			return s == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(s, p))
		})
	}
	var errs []error
	for _, pkg := range slices.Sorted(maps.Keys(external)) {
		for _, rule := range forbidden {
			if !matches(rule.pkgs, pkg) {
				continue
			}
			for _, imp := range external[pkg] {
				if matches(rule.imports, imp) {
					errs = append(errs, fmt.Errorf("%s imports %s, which its layer must not", pkg, imp))
				}
			}
		}
	}
	return errs
}

// TestLayeringCatches: the rules reject the imports they exist to stop.
func TestLayeringCatches(t *testing.T) {
	g, err := loadModule(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, want string }{
		{"pkg/repo", "pkg/backup", "floor"},
		{"pkg/volume", "pkg/repo", "floor"},
		{"pkg/appplan", "pkg/volume", "floor"},
		{"pkg/backend/local", "pkg/repo/format", "column"},
		{"pkg/repo/format", "pkg/backend", "column"},
		{"pkg/volume", "internal/lockowner", "column"}, // reaches the format
		{"pkg/archiver", "internal/testkit/fixture", "test-only"},
		{"pkg/backend", "pkg/backend", "cycle"},
	} {
		mod := cloneGraph(g)
		mod[c.from] = append(mod[c.from], c.to)
		errs := checkLayering(mod)
		if len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), c.want) {
			t.Errorf("%s importing %s: got %v, want a %q error", c.from, c.to, errs, c.want)
		}
	}
}

// loadModule returns each package of the module under root (relative
// import path) with the module packages its non-test files import.
func loadModule(root string) (map[string][]string, error) {
	g, _, err := loadImports(root)
	return g, err
}

// loadImports is loadModule that also returns each package's imports
// from outside the module, the standard library's excluded.
func loadImports(root string) (g, external map[string][]string, err error) {
	g, external = map[string][]string{}, map[string][]string{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if p != root && (name == "testdata" || name == "third_party" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(p, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if len(pkg.GoFiles) == 0 {
			return nil // tests only, as this directory's
		}
		rel := filepath.ToSlash(p)
		for _, imp := range pkg.Imports {
			if dep, ok := strings.CutPrefix(imp, module); ok {
				g[rel] = append(g[rel], dep)
			} else if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
				external[rel] = append(external[rel], imp)
			}
		}
		if _, ok := g[rel]; !ok {
			g[rel] = nil
		}
		return nil
	})
	return g, external, err
}

// checkLayering returns one error per import that breaks a rule.
func checkLayering(g map[string][]string) []error {
	type place struct {
		rank   int
		column string
	}
	at := map[string]place{}
	for _, f := range floors {
		for _, p := range f.pkgs {
			at[p] = place{f.rank, f.column}
		}
	}
	isTestOnly := func(p string) bool {
		return slices.ContainsFunc(testOnly, func(prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix) })
	}
	var errs []error
	for _, pkg := range slices.Sorted(maps.Keys(g)) {
		if isTestOnly(pkg) {
			continue
		}
		here, ok := at[pkg]
		if !ok {
			errs = append(errs, fmt.Errorf("%s has no floor: place it in floors (layering_test.go)", pkg))
			continue
		}
		for _, imp := range g[pkg] {
			there, placed := at[imp]
			switch {
			case imp == pkg:
				errs = append(errs, fmt.Errorf("%s imports itself: an import cycle", pkg))
			case isTestOnly(imp):
				errs = append(errs, fmt.Errorf("%s imports %s, a test-only package: it would ship in the binary", pkg, imp))
			case !placed:
				// reported as "has no floor" on its own
			case there.rank >= here.rank:
				errs = append(errs, fmt.Errorf("%s (floor %d) imports %s (floor %d): an import must go to a lower floor", pkg, here.rank, imp, there.rank))
			}
		}
		if here.column == "" {
			continue
		}
		for _, dep := range reach(g, pkg) {
			if c := at[dep].column; c != "" && c != here.column {
				errs = append(errs, fmt.Errorf("%s (column %s) reaches %s (column %s): only an upper floor may join the two", pkg, here.column, dep, c))
			}
		}
	}
	return errs
}

// reach lists the packages pkg imports, directly or not.
func reach(g map[string][]string, pkg string) []string {
	seen := map[string]bool{pkg: true}
	var out []string
	todo := slices.Clone(g[pkg])
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
		todo = append(todo, g[p]...)
	}
	return out
}

func cloneGraph(g map[string][]string) map[string][]string {
	c := make(map[string][]string, len(g))
	for k, v := range g {
		c[k] = slices.Clone(v)
	}
	return c
}
