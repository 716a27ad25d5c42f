// Package repotest makes real repositories for tests: a local backend in
// t.TempDir() and a cheap key derivation, so that tests exercise the same
// code as production without paying for scrypt's default cost.
package repotest

import (
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
)

// Password opens every repository made by New.
const Password = "repotest password"

// CheapKDF keeps key derivation fast; restic reads whatever is stored.
var CheapKDF = crypto.Params{N: 1024, R: 8, P: 1}

// New initialises a repository of the given version (0 means 2) in a new
// temporary directory and returns it with the directory.
func New(t testing.TB, version uint, opts repo.Options) (*repo.Repository, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(t.Context(), be, Password, repo.InitOptions{Version: version, KDF: CheapKDF}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, dir
}
