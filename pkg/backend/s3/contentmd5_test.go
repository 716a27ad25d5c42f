package s3_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestContentMD5: over plain HTTP, where the body is signed chunk by chunk,
// a pack goes up without a Content-MD5 into a bucket without Object Lock,
// and with one into a bucket with locking enabled, with or without a
// default retention or drydock's own retention; each is stored whole.
func TestContentMD5(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := t.Context()
	withDefault := func(t testing.TB) string {
		bucket := srv.NewLockedBucket(t)
		mode, days, unit := minio.Governance, uint(1), minio.Days
		if err := srv.Client(t).SetObjectLockConfig(ctx, bucket, &mode, &days, &unit); err != nil {
			t.Fatal(err)
		}
		return bucket
	}
	for _, tc := range []struct {
		name    string
		bucket  func(t testing.TB) string
		lock    string
		wantMD5 bool
	}{
		{"no object lock", srv.NewBucket, "", false},
		{"object lock enabled", srv.NewLockedBucket, "", true},
		{"default retention", withDefault, "", true},
		{"drydock's retention", srv.NewLockedBucket, "governance:1m", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{next: http.DefaultTransport.(*http.Transport).Clone()}
			cfg := config(srv, tc.bucket(t), "")
			if tc.lock != "" {
				cfg = lockedConfig(t, srv, cfg.Bucket, tc.lock)
			}
			cfg.Transport = rec
			be := open(t, cfg)
			data := []byte("a pack's bytes, " + tc.name)
			h := backend.Handle{Type: backend.PackFile, Name: format.Hash(data).String()}
			saveBytes(t, be, h, data)
			saveBytes(t, be, backend.Handle{Type: backend.PackFile, Name: format.Hash(append(data, '2')).String()}, append(data, '2'))
			if got, err := backendtest.LoadAll(ctx, be, h, 0, 0); err != nil || string(got) != string(data) {
				t.Fatalf("read back %q, %v", got, err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			packs := 0
			for _, req := range rec.puts {
				if !strings.Contains(req.URL.Path, "/data/") {
					continue
				}
				packs++
				if md5 := req.Header.Get("Content-Md5") != ""; md5 != tc.wantMD5 {
					t.Errorf("PUT %s: Content-MD5 sent %v, want %v", req.URL.Path, md5, tc.wantMD5)
				}
			}
			if packs != 2 {
				t.Fatalf("%d pack uploads seen, want 2", packs)
			}
		})
	}
}
