package repo_test

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCodecLayering pins the external modules each codec package may use
// (docs/style.md §1); the floors between packages of the module, codecs
// included, are pinned for the whole module by TestLayering
// (layering_test.go at the module's root).
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
