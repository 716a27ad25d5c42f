package repo_test

import (
	"errors"
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCodecLayering keeps the codec packages free of storage and of each
// other's upper layers (docs/style.md §1): each may import only the
// standard library, the packages below it and its few external modules.
func TestCodecLayering(t *testing.T) {
	const mod = "github.com/drydock-backup/drydock/pkg/repo/"
	allowed := map[string][]string{
		"compress": {"github.com/klauspost/compress/zstd", "github.com/klauspost/compress/s2"},
		"format":   {mod + "compress"},
		"crypto":   {mod + "format", "golang.org/x/crypto/poly1305", "golang.org/x/crypto/scrypt"},
		"pack":     {mod + "compress", mod + "crypto", mod + "format", "github.com/drydock-backup/drydock/internal/bufpool"},
		"index":    {mod + "format", "golang.org/x/sync/errgroup"},
		"walk":     {mod + "format", "golang.org/x/sync/errgroup"},
	}
	for pkg, ok := range allowed {
		p, err := build.ImportDir(filepath.Join(".", pkg), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			first, _, _ := strings.Cut(imp, "/")
			if !strings.Contains(first, ".") {
				continue // standard library
			}
			if !slices.Contains(ok, imp) {
				t.Errorf("pkg/repo/%s imports %s, which its layer does not allow", pkg, imp)
			}
		}
	}
}

// TestBelowRepo: every package below pkg/repo is a layer under the
// repository (codecs, storage), so none may import pkg/repo itself or a
// package that depends on it: packages that use the repository (checker,
// prune, location, ...) live beside it in pkg/.
func TestBelowRepo(t *testing.T) {
	var dirs []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && d.Name() != "testdata" {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 6 {
		t.Fatalf("found only %d packages below pkg/repo: %v", len(dirs), dirs)
	}
	up := upward{t: t, memo: map[string]bool{}}
	for _, dir := range dirs {
		for _, imp := range up.imports(dir) {
			if up.reaches(imp) {
				t.Errorf("pkg/repo/%s imports %s, which is pkg/repo or depends on it: move the package out of pkg/repo, or the import", dir, imp)
			}
		}
	}
}

// upward finds drydock packages that are pkg/repo or import it, directly
// or not.
type upward struct {
	t    *testing.T
	memo map[string]bool
}

const module = "github.com/drydock-backup/drydock/"

// imports lists the drydock packages the package in dir imports (not its
// tests); dir is relative to pkg/repo.
func (u *upward) imports(dir string) []string {
	p, err := build.ImportDir(dir, 0)
	var noGo *build.NoGoError
	if errors.As(err, &noGo) {
		return nil
	}
	if err != nil {
		u.t.Fatalf("%s: %v", dir, err)
	}
	var out []string
	for _, imp := range p.Imports {
		if strings.HasPrefix(imp, module) {
			out = append(out, imp)
		}
	}
	return out
}

func (u *upward) reaches(imp string) bool {
	if imp == module+"pkg/repo" {
		return true
	}
	if v, ok := u.memo[imp]; ok {
		return v
	}
	u.memo[imp] = false // cycles are the compiler's business
	rel, _ := filepath.Rel("pkg/repo", strings.TrimPrefix(imp, module))
	for _, next := range u.imports(rel) {
		if u.reaches(next) {
			u.memo[imp] = true
			return true
		}
	}
	return false
}
