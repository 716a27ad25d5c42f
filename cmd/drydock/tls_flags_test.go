package main

import (
	"encoding/pem"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
)

// tlsEndpoint is a repository behind https with a certificate no system
// root vouches for, and the PEM file of the CA that does.
type tlsEndpoint struct {
	cli    *cli
	caFile string
}

// restTLS is a REST server on 127.0.0.1 serving https with a CA made for
// the test.
func restTLS(t *testing.T) tlsEndpoint {
	srv := resttest.Start(t, resttest.Options{TLS: true})
	return tlsEndpoint{cli: newCLI(t, srv.Location("repo")), caFile: srv.CACertFile}
}

// s3TLS is MinIO behind a TLS-terminating proxy on 127.0.0.1 with a
// self-signed certificate: MinIO itself serves plain HTTP.
func s3TLS(t *testing.T) tlsEndpoint {
	srv := miniotest.Start(t)
	backend, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(backend))
	t.Cleanup(proxy.Close)
	caFile := filepath.Join(t.TempDir(), "proxy.pem")
	must(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw}), 0o600))
	c := newCLI(t, "s3:"+proxy.URL+"/"+uniqueBucket("tls"))
	c.env["AWS_ACCESS_KEY_ID"] = srv.AccessKey
	c.env["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	return tlsEndpoint{cli: c, caFile: caFile}
}

// TestTLSFlags: against a real https endpoint whose certificate the system
// does not trust, a command fails with a certificate error and exit 1 at
// once; --insecure-tls, --cacert and RESTIC_CACERT each make it work.
func TestTLSFlags(t *testing.T) {
	for name, start := range map[string]func(*testing.T) tlsEndpoint{"rest": restTLS, "s3": s3TLS} {
		t.Run(name, func(t *testing.T) {
			ep := start(t)
			c := ep.cli
			began := time.Now()
			_, errOut, code := c.run("init")
			if code != 1 || !strings.Contains(errOut, "certificate") {
				t.Fatalf("init without trusting the certificate: exit %d, want 1 and a certificate error:\n%s", code, errOut)
			}
			if d := time.Since(began); d > 30*time.Second {
				t.Errorf("the certificate error took %s: it is not transient and must not be retried", d)
			}
			c.must("init", "--insecure-tls")
			src := t.TempDir()
			must(t, os.WriteFile(filepath.Join(src, "f"), []byte("over TLS"), 0o600))
			c.must("backup", "--insecure-tls", src)
			if out := c.must("ls", "--cacert", ep.caFile, "latest"); !strings.Contains(out, "/f") {
				t.Errorf("ls --cacert does not list the file:\n%s", out)
			}
			c.env["RESTIC_CACERT"] = ep.caFile
			c.must("check")
		})
	}
}
