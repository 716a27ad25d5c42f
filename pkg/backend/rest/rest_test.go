package rest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
	"github.com/drydock-backup/drydock/pkg/secret"
)

func config(t *testing.T, location string) rest.Config {
	t.Helper()
	cfg, err := rest.ParseLocation(secret.NewURL(location))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var repoCount int

// newRepo returns the location of a repository path not used before.
func newRepo(srv *resttest.Server) (location, name string) {
	repoCount++
	name = "repo" + string(rune('a'+repoCount%26)) + time.Now().Format("150405.000000000")
	return srv.Location(name), name
}

// The conformance suite against rclone serve restic, over http and over
// https with a private CA and a client certificate. PutRaw is not
// offered: a REST listing names files without saying where they lie, so
// the server alone decides what a stray file in data/ means (rclone lists
// data/ recursively).
func TestConformance(t *testing.T) {
	for name, opts := range map[string]resttest.Options{
		"http":  {},
		"https": {TLS: true, ClientCA: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := resttest.Start(t, opts)
			backendtest.Run(t, func(t *testing.T) backendtest.Instance {
				loc, _ := newRepo(srv)
				cfg := config(t, loc)
				cfg.CACert, cfg.ClientCert = nil, srv.ClientCertFile
				if srv.CACertFile != "" {
					cfg.CACert = []string{srv.CACertFile}
				}
				be, err := rest.Create(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				return backendtest.Instance{Backend: be}
			})
		})
	}
}

// Files land where restic's server layout puts them (packs in two-hex
// subdirectories), with the content sent.
func TestLayoutOnServer(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{})
	loc, name := newRepo(srv)
	be, err := rest.Create(t.Context(), config(t, loc))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	data, id := backendtest.RandomData(t, 5000)
	backendtest.Save(t, be, backend.PackFile, data)
	backendtest.Save(t, be, backend.ConfigFile, []byte("cfg"))
	got, err := os.ReadFile(filepath.Join(srv.Dir, name, "data", id[:2], id))
	if err != nil || len(got) != 5000 {
		t.Fatalf("pack on the server: %d bytes, %v", len(got), err)
	}
	if b, err := os.ReadFile(filepath.Join(srv.Dir, name, "config")); err != nil || string(b) != "cfg" {
		t.Fatalf("config on the server: %q, %v", b, err)
	}
}

// Wrong credentials are ErrPermission, permanent, and no error ever shows
// the password: not for a refused login, a missing file, an unreachable
// server or a TLS failure.
func TestErrorsHidePassword(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{})
	loc, _ := newRepo(srv)
	be, err := rest.Create(t.Context(), config(t, loc))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	noPassword := func(t *testing.T, err error, secret string) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error shows the password: %v", err)
		}
		t.Logf("error: %v", err)
	}
	_, id := backendtest.RandomData(t, 1)
	_, err = be.Stat(t.Context(), backend.Handle{Type: backend.PackFile, Name: id})
	noPassword(t, err, srv.Pass)
	if !errors.Is(err, backend.ErrNotExist) || backend.IsTransient(err) {
		t.Errorf("missing file: %v, want permanent ErrNotExist", err)
	}

	wrong := strings.Replace(loc, ":"+srv.Pass+"@", ":not-the-password@", 1)
	_, err = rest.Open(t.Context(), config(t, wrong))
	noPassword(t, err, "not-the-password")
	if !errors.Is(err, backend.ErrPermission) || backend.IsTransient(err) {
		t.Errorf("wrong password: %v, want permanent ErrPermission", err)
	}
	if !strings.Contains(err.Error(), ":***@") {
		t.Errorf("error does not name the redacted location: %v", err)
	}

	srv.Stop(t)
	_, err = be.Stat(t.Context(), backend.Handle{Type: backend.ConfigFile})
	noPassword(t, err, srv.Pass)
	if !backend.IsTransient(err) {
		t.Errorf("server down: %v, want a transient error", err)
	}

	tlsSrv := resttest.Start(t, resttest.Options{TLS: true})
	tlsLoc, _ := newRepo(tlsSrv)
	_, err = rest.Create(t.Context(), config(t, tlsLoc)) // no CA: unknown authority
	noPassword(t, err, tlsSrv.Pass)
	if backend.IsTransient(err) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v, want a permanent certificate error", err)
	}
}

// With --client-ca the server refuses a client without a certificate.
func TestClientCertificateRequired(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{TLS: true, ClientCA: true})
	loc, _ := newRepo(srv)
	cfg := config(t, loc)
	cfg.CACert = []string{srv.CACertFile}
	if _, err := rest.Create(t.Context(), cfg); err == nil {
		t.Fatal("create without a client certificate succeeded")
	}
	cfg.ClientCert = srv.ClientCertFile
	be, err := rest.Create(t.Context(), cfg)
	if err != nil {
		t.Fatalf("create with the client certificate: %v", err)
	}
	_ = be.Close()
}

// Behind the retry layer a save rides over a server restart.
func TestRetryRidesOverRestart(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{})
	loc, _ := newRepo(srv)
	raw, err := rest.Create(t.Context(), config(t, loc))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	be := retry.New(raw, retry.Options{InitialInterval: 50 * time.Millisecond, MaxElapsed: 20 * time.Second})
	srv.Stop(t)
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(500 * time.Millisecond) // the outage the save rides over
		srv.Restart(t)
	}()
	data, _ := backendtest.RandomData(t, 1000)
	h := backendtest.Save(t, be, backend.SnapshotFile, data)
	<-restarted
	if n, err := be.Stat(t.Context(), h); err != nil || n != 1000 {
		t.Fatalf("stat after restart: %d, %v", n, err)
	}
}

// A server without the repository (404 on listings, as rest-server
// answers) is ErrLocationMissing; 5xx answers are transient; a version 1
// listing (names only) is completed with HEAD requests.
func TestProtocolEdges(t *testing.T) {
	_, id := backendtest.RandomData(t, 3)
	mux := http.NewServeMux()
	mux.HandleFunc("/missing/", http.NotFound)
	mux.HandleFunc("HEAD /flaky/config", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("HEAD /v1/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
	})
	mux.HandleFunc("GET /v1/snapshots/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.x.restic.rest.v1")
		_, _ = w.Write([]byte(`["` + id + `", "not-an-id"]`))
	})
	mux.HandleFunc("HEAD /v1/snapshots/"+id, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "42")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, err := rest.Open(t.Context(), config(t, "rest:"+srv.URL+"/missing/"))
	if !errors.Is(err, backend.ErrLocationMissing) {
		t.Errorf("open a missing repository: %v, want ErrLocationMissing", err)
	}
	_, err = rest.Open(t.Context(), config(t, "rest:"+srv.URL+"/flaky"))
	if !backend.IsTransient(err) {
		t.Errorf("503: %v, want a transient error", err)
	}
	be, err := rest.Open(t.Context(), config(t, "rest:"+srv.URL+"/v1"))
	if err != nil {
		t.Fatal(err)
	}
	got := backendtest.ListNames(t, be, backend.SnapshotFile)
	if len(got) != 1 || got[id] != 42 {
		t.Errorf("version 1 listing: %v, want %s with size 42", got, id)
	}
}
