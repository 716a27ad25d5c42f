package rest_test

import (
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
)

// CheckDeletes against rclone serve restic: with --append-only it is
// refused (403) and locks can still be removed; without, allowed.
func TestCheckDeletes(t *testing.T) {
	for name, check := range map[string]func(*testing.T, *rest.Backend){
		"append-only": func(t *testing.T, be *rest.Backend) { backendtest.AppendOnly(t, be) },
		"plain":       func(t *testing.T, be *rest.Backend) { backendtest.DeletesAllowed(t, be) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := resttest.Start(t, resttest.Options{AppendOnly: name == "append-only"})
			loc, _ := newRepo(srv)
			be, err := rest.Create(t.Context(), config(t, loc))
			if err != nil {
				t.Fatal(err)
			}
			defer be.Close()
			check(t, be)
		})
	}
}
