package miniotest_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
)

// The cache path used by BinaryPath must match what build.sh builds.
func TestVersionMatchesGoMod(t *testing.T) {
	mod, err := os.ReadFile("../../../third_party/minio/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/minio/minio " + miniotest.Version
	if !strings.Contains(string(mod), want) {
		t.Fatalf("third_party/minio/go.mod does not pin %q; update miniotest.Version", want)
	}
}

// A server starts, stores an object, survives a stop/restart with its data
// and port, and is stopped by the cleanup.
func TestStartStopRestart(t *testing.T) {
	s := miniotest.Start(t)
	if !strings.HasPrefix(s.Endpoint, "127.0.0.1:") {
		t.Fatalf("endpoint %q is not on 127.0.0.1", s.Endpoint)
	}
	bucket := s.NewBucket(t)
	ctx := t.Context()
	data := []byte("hello")
	if _, err := s.Client(t).PutObject(ctx, bucket, "k", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Stop(t)
	if _, err := s.Client(t).StatObject(ctx, bucket, "k", minio.StatObjectOptions{}); err == nil {
		t.Fatal("stat succeeded on a stopped server")
	}
	endpoint := s.Endpoint
	s.Restart(t)
	if s.Endpoint != endpoint {
		t.Fatalf("endpoint changed from %s to %s", endpoint, s.Endpoint)
	}
	info, err := s.Client(t).StatObject(ctx, bucket, "k", minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("object lost across restart: %v", err)
	}
	if info.Size != int64(len(data)) {
		t.Fatalf("size %d, want %d", info.Size, len(data))
	}
}
