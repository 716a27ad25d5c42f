package s3

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// TestConnectionClosedIsTransient: a server that accepts a request's
// connection and closes it without answering (a crashing MinIO) gives
// minio-go's "Connection closed by foreign host", which must be retried;
// the retry layer decides by backend.IsTransient.
func TestConnectionClosedIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf) // take the request, answer nothing
			_ = c.Close()
		}
	}()
	b, err := newBackend(Config{Endpoint: ln.Addr().String(), UseHTTP: true, Bucket: "bucket", Region: "us-east-1", KeyID: "k", Secret: secret.New("secretsecret")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	h := backend.Handle{Type: backend.SnapshotFile, Name: strings.Repeat("ab", 32)}
	_, err = b.Stat(t.Context(), h)
	if err == nil || !backend.IsTransient(err) {
		t.Fatalf("stat on a connection closed by the server: %v; want a transient error", err)
	}
	t.Logf("closed connection: %v", err)
	if _, err := b.bucketExists(t.Context()); err == nil || !backend.IsTransient(err) {
		t.Fatalf("bucket check on a connection closed by the server: %v; want a transient error", err)
	}
	for _, perm := range []error{backend.ErrNotExist, backend.ErrPermission, backend.ErrLocationMissing, errors.New("400 Bad Request")} {
		if backend.IsTransient(perm) {
			t.Errorf("%v taken for transient", perm)
		}
	}
}
