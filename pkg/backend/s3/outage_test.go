package s3_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
	"github.com/drydock-backup/drydock/pkg/backend/s3"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// TestOpenRetriesBucketCheck: a repository opened while its server is down
// for a moment waits for it within RetryMax instead of failing at once;
// a missing bucket and refused credentials still fail at once.
func TestOpenRetriesBucketCheck(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	cfg := config(srv, bucket, "")
	cfg.RetryMax = 30 * time.Second

	srv.Stop(t)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		be, err := s3.Open(t.Context(), cfg)
		if err == nil {
			_ = be.Close()
		}
		done <- err
	}()
	time.Sleep(2 * time.Second) // the outage the open rides over
	srv.Restart(t)
	if err := <-done; err != nil {
		t.Fatalf("open across a MinIO restart: %v", err)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("open returned after %v, before MinIO was back", d)
	}

	missing := cfg
	missing.Bucket = miniotest.BucketName()
	wrongKey := cfg
	wrongKey.Secret = secret.New("not-the-secret-key")
	for name, c := range map[string]s3.Config{"missing bucket": missing, "wrong credentials": wrongKey} {
		start := time.Now()
		_, err := s3.Open(t.Context(), c)
		if err == nil || backend.IsTransient(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v; permanent errors must not be retried", name, d)
		}
	}
}

// TestUploadsSurviveAServerRestart: MinIO stops while 16 uploads are in
// flight and is back within about 2 s; through the retry layer every
// upload succeeds and reads back intact.
func TestUploadsSurviveAServerRestart(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	flight := &inFlight{next: tr}
	cfg := config(srv, bucket, "")
	cfg.Transport = flight
	be := retry.New(open(t, cfg), retry.Options{
		MaxElapsed: 30 * time.Second, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second,
	})
	ctx := t.Context()
	type object struct {
		h    backend.Handle
		data []byte
	}
	objs := make([]object, 16)
	for i := range objs {
		data, id := backendtest.RandomData(t, 4<<20+i)
		objs[i] = object{backend.Handle{Type: backend.PackFile, Name: id}, data}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(objs))
	started := make(chan struct{}, len(objs))
	for i, o := range objs {
		wg.Go(func() {
			started <- struct{}{}
			// Several rounds, so that some requests are in flight when
			// the server goes and others start while it is gone.
			for round := range 4 {
				h := o.h
				if round > 0 {
					h.Name = fmt.Sprintf("%064x", i*16+round)
				}
				if err := be.Save(ctx, h, backend.NewByteReader(o.data)); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	for range objs {
		<-started
	}
	if !testenv.Eventually(10*time.Second, time.Millisecond, func() bool { return flight.n.Load() > 0 }) {
		t.Fatal("no upload in flight")
	}
	srv.Stop(t)
	time.Sleep(time.Second) // the outage the uploads ride over
	srv.Restart(t)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("uploads across a MinIO restart: %v", err)
	}
	for _, o := range objs {
		got, err := backendtest.LoadAll(ctx, be, o.h, 0, 0)
		if err != nil || string(got) != string(o.data) {
			t.Fatalf("%v: read back %d bytes, %v", o.h, len(got), err)
		}
	}
}

// inFlight counts the requests under way through it.
type inFlight struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	f.n.Add(1)
	defer f.n.Add(-1)
	return f.next.RoundTrip(req)
}
