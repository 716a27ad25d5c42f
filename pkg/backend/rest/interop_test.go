package rest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

const interopPassword = "rest interop password"

// restic 0.14 predates raw (non-UTF-8) symlink targets; everything else of
// the fixture must come back exactly.
var resticCompare = fixture.CompareOptions{MangledLinkTargets: true}

// resticOn returns a function running stock restic on location, with the
// server's CA when it serves https.
func resticOn(t *testing.T, srv *resttest.Server, location string) func(args ...string) string {
	t.Helper()
	bin := testenv.RequireBinary(t, "restic")
	home := t.TempDir()
	return func(args ...string) string {
		t.Helper()
		all := []string{"--no-cache", "-r", location}
		if srv.CACertFile != "" {
			all = append(all, "--cacert", srv.CACertFile, "--tls-client-cert", srv.ClientCertFile)
		}
		cmd := exec.CommandContext(t.Context(), bin, append(all, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "RESTIC_PASSWORD=" + interopPassword}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
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
			restic := resticOn(t, srv, loc)
			src := t.TempDir()
			fixture.Build(t, src)
			ctx := t.Context()
			be, err := rest.Create(ctx, tlsConfig(t, srv, loc))
			if err != nil {
				t.Fatal(err)
			}
			r, err := repo.Init(ctx, be, interopPassword, repo.InitOptions{KDF: repotest.CheapKDF}, repo.Options{PackSize: 4 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := backup.Paths(ctx, r, []string{src}, nil, backup.PathOptions{Host: "rest-interop"}); err != nil {
				t.Fatal(err)
			}
			if err := be.Close(); err != nil {
				t.Fatal(err)
			}
			if out := restic("check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Fatalf("restic check:\n%s", out)
			}
			dst := t.TempDir()
			restic("restore", "latest", "--target", dst)
			fixture.Compare(t, src, filepath.Join(dst, src), resticCompare)
		})
	}
}

// Stock restic initialises a repository on the REST server and backs the
// fixture up; drydock opens the same location string and restores the
// snapshot exactly.
func TestResticWritesDrydockReads(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{})
	loc := srv.Location("rr")
	restic := resticOn(t, srv, loc)
	src := t.TempDir()
	fixture.Build(t, src)
	restic("init")
	restic("backup", src)
	ctx := t.Context()

	be, err := rest.Open(ctx, config(t, loc))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	r, err := repo.Open(ctx, be, interopPassword, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	sns, err := r.Snapshots(ctx)
	if err != nil || len(sns) != 1 {
		t.Fatalf("snapshots: %d, %v; want the one restic made", len(sns), err)
	}
	dst := t.TempDir()
	if _, err := restorer.Restore(ctx, r, *sns[0].Tree, dst, restorer.Options{}); err != nil {
		t.Fatal(err)
	}
	fixture.Compare(t, src, filepath.Join(dst, src), resticCompare)
}
