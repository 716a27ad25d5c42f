package local_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
)

// A writable repository directory allows deletes, with or without the
// directories of each file type, and the check leaves nothing behind.
func TestCheckDeletesAllowed(t *testing.T) {
	for name, mkdirs := range map[string]bool{"created": true, "bare": false} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			var be *local.Backend
			var err error
			if mkdirs {
				be, err = local.Create(t.Context(), dir)
			} else {
				be, err = local.Open(t.Context(), dir)
			}
			if err != nil {
				t.Fatal(err)
			}
			backendtest.DeletesAllowed(t, be)
		})
	}
}
