package rest_test

import (
	"context"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/interoptest"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
)

// resticOn runs stock restic on location, with the server's CA and client
// certificate when it serves https.
func resticOn(t *testing.T, srv *resttest.Server, location string) func(args ...string) string {
	t.Helper()
	args := []string{"-r", location}
	if srv.CACertFile != "" {
		args = append(args, "--cacert", srv.CACertFile, "--tls-client-cert", srv.ClientCertFile)
	}
	return interoptest.Restic(t, args...)
}

func tlsConfig(t *testing.T, srv *resttest.Server, location string) rest.Config {
	cfg := config(t, location)
	if srv.CACertFile != "" {
		cfg.CACert, cfg.ClientCert = []string{srv.CACertFile}, srv.ClientCertFile
	}
	return cfg
}

// drydock's repository layer writes a snapshot of the fixture to the REST
// server; stock restic checks every byte and restores it exactly, over
// plain http and over https with a private CA and client certificate.
func TestDrydockWritesResticReads(t *testing.T) {
	for name, opts := range map[string]resttest.Options{"http": {}, "https": {TLS: true, ClientCA: true}} {
		t.Run(name, func(t *testing.T) {
			srv := resttest.Start(t, opts)
			loc := srv.Location("dd")
			be, err := rest.Create(t.Context(), tlsConfig(t, srv, loc))
			if err != nil {
				t.Fatal(err)
			}
			interoptest.DrydockWritesResticReads(t, be, resticOn(t, srv, loc))
		})
	}
}

// Stock restic initialises a repository on the REST server and backs the
// fixture up; drydock opens the same location string and restores the
// snapshot exactly.
func TestResticWritesDrydockReads(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{})
	loc := srv.Location("rr")
	interoptest.ResticWritesDrydockReads(t, resticOn(t, srv, loc), func(ctx context.Context) (backend.Backend, error) {
		return rest.Open(ctx, config(t, loc))
	})
}
