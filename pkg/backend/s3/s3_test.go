package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
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

// config returns a Config for bucket/prefix on srv.
func config(srv *miniotest.Server, bucket, prefix string) s3.Config {
	return s3.Config{
		Endpoint: srv.Endpoint,
		UseHTTP:  true,
		Bucket:   bucket,
		Prefix:   prefix,
		Region:   "us-east-1",
		KeyID:    srv.AccessKey,
		Secret:   secret.New(srv.SecretKey),
	}
}

func open(t *testing.T, cfg s3.Config) *s3.Backend {
	t.Helper()
	be, err := s3.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("open %v: %v", cfg, err)
	}
	t.Cleanup(func() { _ = be.Close() })
	return be
}

// The conformance suite against a real MinIO, at the bucket root and under
// a prefix; every subtest gets its own bucket.
func TestConformance(t *testing.T) {
	srv := miniotest.Start(t)
	for _, prefix := range []string{"", "some/prefix"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			backendtest.Run(t, func(t *testing.T) backendtest.Instance {
				bucket := srv.NewBucket(t)
				be, err := s3.Open(t.Context(), config(srv, bucket, prefix))
				if err != nil {
					t.Fatal(err)
				}
				client := srv.Client(t)
				return backendtest.Instance{
					Backend: be,
					PutRaw: func(rel string, data []byte) error {
						_, err := client.PutObject(context.Background(), bucket, path.Join(prefix, rel),
							bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
						return err
					},
				}
			})
		})
	}
}

// The object keys are exactly restic's layout: prefix + layout path, packs
// in two-hex subdirectories, no directory markers; Content-Type is
// application/octet-stream.
func TestObjectKeys(t *testing.T) {
	srv := miniotest.Start(t)
	client := srv.Client(t)
	for _, prefix := range []string{"", "pre/fix"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			bucket := srv.NewBucket(t)
			be := open(t, config(srv, bucket, "/"+prefix+"/")) // cleaned to prefix
			var want []string
			for _, ft := range append([]backend.FileType{backend.ConfigFile}, backend.ListableTypes...) {
				data, _ := backendtest.RandomData(t, 33)
				h := backendtest.Save(t, be, ft, data)
				var rel string
				switch ft {
				case backend.ConfigFile:
					rel = "config"
				case backend.KeyFile:
					rel = "keys/" + h.Name
				case backend.PackFile:
					rel = "data/" + h.Name[:2] + "/" + h.Name
				case backend.IndexFile:
					rel = "index/" + h.Name
				case backend.SnapshotFile:
					rel = "snapshots/" + h.Name
				case backend.LockFile:
					rel = "locks/" + h.Name
				}
				if prefix != "" {
					rel = prefix + "/" + rel
				}
				want = append(want, rel)
			}
			var got []string
			for obj := range client.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
				if obj.Err != nil {
					t.Fatal(obj.Err)
				}
				got = append(got, obj.Key)
				info, err := client.StatObject(t.Context(), bucket, obj.Key, minio.StatObjectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if info.ContentType != "application/octet-stream" || info.Size != 33 {
					t.Errorf("%s: content type %q size %d", obj.Key, info.ContentType, info.Size)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("bucket keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// Create makes a missing bucket (restic init does the same) and accepts an
// existing one; Open of a missing bucket fails clearly.
func TestCreateAndMissingBucket(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := miniotest.BucketName()
	_, err := s3.Open(t.Context(), config(srv, bucket, ""))
	if !errors.Is(err, backend.ErrLocationMissing) {
		t.Fatalf("open missing bucket: got %v, want ErrLocationMissing", err)
	}
	if !strings.Contains(err.Error(), bucket) {
		t.Errorf("error %q does not name the bucket", err)
	}
	t.Logf("missing bucket: %v", err)
	for i := 0; i < 2; i++ {
		be, err := s3.Create(t.Context(), config(srv, bucket, "p"))
		if err != nil {
			t.Fatalf("create #%d: %v", i+1, err)
		}
		_ = be.Close()
	}
	ok, err := srv.Client(t).BucketExists(t.Context(), bucket)
	if err != nil || !ok {
		t.Fatalf("bucket %s after Create: exists=%v, %v", bucket, ok, err)
	}
	open(t, config(srv, bucket, "p"))
}

// Wrong credentials give ErrPermission with a message naming what to check.
func TestWrongCredentials(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	for name, mod := range map[string]func(*s3.Config){
		"secret": func(c *s3.Config) { c.Secret = secret.New("wrong-secret-key") },
		"key-id": func(c *s3.Config) { c.KeyID = "nobody" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config(srv, bucket, "")
			mod(&cfg)
			for op, fn := range map[string]func() error{
				"open":   func() error { _, err := s3.Open(t.Context(), cfg); return err },
				"create": func() error { _, err := s3.Create(t.Context(), cfg); return err },
			} {
				err := fn()
				if !errors.Is(err, backend.ErrPermission) || backend.IsTransient(err) {
					t.Fatalf("%s with wrong %s: got %v, want permanent ErrPermission", op, name, err)
				}
				if !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
					t.Errorf("error %q does not say which settings to check", err)
				}
				t.Logf("%s: %v", op, err)
				if strings.Contains(err.Error(), srv.SecretKey) {
					t.Errorf("error %q leaks the secret", err)
				}
			}
		})
	}
}

// An endpoint where nothing listens fails fast with a transient error; the
// retry layer gives up within its budget and names the attempts.
func TestUnreachableEndpoint(t *testing.T) {
	addr := miniotest.ClosedAddr(t)
	cfg := s3.Config{Endpoint: addr, UseHTTP: true, Bucket: "bucket", Region: "us-east-1", KeyID: "k", Secret: secret.New("secretsecret")}
	start := time.Now()
	_, err := s3.Open(t.Context(), cfg)
	if err == nil || !backend.IsTransient(err) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("open unreachable %s: got %v, want a transient error naming the address", addr, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("open unreachable took %v", d)
	}
	t.Logf("unreachable: %v", err)

	// Open cannot reach the server either, so build the backend against a
	// live MinIO and point the retry test at a stopped one.
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	be := retry.New(open(t, config(srv, bucket, "")), retry.Options{
		MaxElapsed: 2 * time.Second, InitialInterval: 100 * time.Millisecond, MaxInterval: 500 * time.Millisecond,
	})
	srv.Stop(t)
	data, _ := backendtest.RandomData(t, 10)
	start = time.Now()
	err = be.Save(t.Context(), backend.Handle{Type: backend.PackFile, Name: strings.Repeat("ab", 32)}, backend.NewByteReader(data))
	var rerr *retry.Error
	if !errors.As(err, &rerr) || rerr.Attempts < 2 {
		t.Fatalf("save to stopped server: got %v, want *retry.Error after several attempts", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("retrying took %v, budget was 2s", d)
	}
	t.Logf("gave up: %v", err)
}

// MinIO stops and comes back after ~3 s: a Save and a Load through the
// retry layer ride out the outage.
func TestServerRestartDuringSave(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	be := retry.New(open(t, config(srv, bucket, "pre")), retry.Options{
		MaxElapsed: 30 * time.Second, InitialInterval: 200 * time.Millisecond, MaxInterval: time.Second,
	})
	ctx := t.Context()
	data, id := backendtest.RandomData(t, 256<<10)
	h := backend.Handle{Type: backend.PackFile, Name: id}

	srv.Stop(t)
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- be.Save(ctx, h, backend.NewByteReader(data)) }()
	time.Sleep(3 * time.Second) // the outage the save rides over
	srv.Restart(t)
	if err := <-done; err != nil {
		t.Fatalf("save across a MinIO restart: %v", err)
	}
	if d := time.Since(start); d < 3*time.Second {
		t.Fatalf("save finished after %v, before MinIO was back", d)
	}

	srv.Stop(t)
	loaded := make(chan []byte, 1)
	go func() {
		got, err := backendtest.LoadAll(ctx, be, h, 1000, 5)
		if err != nil {
			t.Errorf("load across a MinIO restart: %v", err)
		}
		loaded <- got
	}()
	time.Sleep(3 * time.Second) // the outage the load rides over
	srv.Restart(t)
	if got := <-loaded; !bytes.Equal(got, data[5:1005]) {
		t.Fatalf("load across restart returned %d wrong bytes", len(got))
	}
}

// recorder notes the PUT requests that go through it.
type recorder struct {
	mu   sync.Mutex
	puts []*http.Request
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		r.mu.Lock()
		r.puts = append(r.puts, req.Clone(context.Background()))
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

// Save sends one PUT per object and Content-Type application/octet-stream;
// a 5 MiB pack does not go multipart. Over plain HTTP the body is signed
// chunk by chunk (so the server rejects a corrupted upload) and, in a
// bucket without Object Lock, carries no Content-MD5 (TestContentMD5).
func TestSaveSendsOnePUT(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: tr}
	cfg := config(srv, bucket, "p")
	cfg.Transport = rec
	be := open(t, cfg)
	data, _ := backendtest.RandomData(t, 5<<20)
	h := backendtest.Save(t, be, backend.PackFile, data)
	if len(rec.puts) != 1 {
		t.Fatalf("%d PUT requests, want 1", len(rec.puts))
	}
	req := rec.puts[0]
	if got := req.Header.Get("X-Amz-Content-Sha256"); got != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
		t.Errorf("X-Amz-Content-Sha256 %q, want the streaming signature of the body", got)
	}
	if got := req.Header.Get("Content-Md5"); got != "" {
		t.Errorf("Content-MD5 %q in a bucket without Object Lock", got)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if req.URL.RawQuery != "" || !strings.HasSuffix(req.URL.Path, "/p/"+backend.Path(h)) {
		t.Errorf("PUT %s, want a plain PUT of p/%s", req.URL, backend.Path(h))
	}
}

// cutter breaks the body of the first n GET responses of objects after 1000
// bytes, the way net/http reports a connection dropped mid-body.
type cutter struct {
	mu   sync.Mutex
	n    int
	next http.RoundTripper
}

func (c *cutter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/data/") {
		return resp, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		c.n--
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(io.LimitReader(resp.Body, 1000), iotest.ErrReader(io.ErrUnexpectedEOF)), resp.Body}
	}
	return resp, nil
}

// A download cut mid-body is a transient error: through the retry layer,
// Load runs fn again and delivers the whole range.
func TestLoadMidBodyCutRetried(t *testing.T) {
	srv := miniotest.Start(t)
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	cut := &cutter{next: tr}
	cfg := config(srv, srv.NewBucket(t), "")
	cfg.Transport = cut
	raw := open(t, cfg)
	data, _ := backendtest.RandomData(t, 100000)
	h := backendtest.Save(t, raw, backend.PackFile, data)

	cut.n = 1
	_, err = backendtest.LoadAll(t.Context(), raw, h, 50000, 10)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !backend.IsTransient(err) {
		t.Fatalf("cut load without retry: got %v, want a transient io.ErrUnexpectedEOF", err)
	}

	cut.n = 2
	be := retry.New(raw, retry.Options{InitialInterval: 10 * time.Millisecond, MaxElapsed: 10 * time.Second})
	calls := 0
	var got []byte
	err = be.Load(t.Context(), h, 50000, 10, func(rd io.Reader) error {
		calls++
		var err error
		got, err = io.ReadAll(rd)
		return err
	})
	if err != nil || !bytes.Equal(got, data[10:50010]) || calls != 3 {
		t.Fatalf("retried load: %d bytes, %d calls of fn, %v; want 50000 correct bytes after 3 calls", len(got), calls, err)
	}
}

// gauge counts PUT requests in flight and remembers the maximum.
type gauge struct {
	mu            sync.Mutex
	cur, max      int
	next          http.RoundTripper
	sawLockDuring bool // a lock PUT ran while MaxUploads pack PUTs were in flight
}

func (g *gauge) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPut || strings.HasSuffix(req.URL.Path, "/") {
		return g.next.RoundTrip(req)
	}
	isLock := strings.Contains(req.URL.Path, "/locks/")
	g.mu.Lock()
	if isLock {
		g.sawLockDuring = g.sawLockDuring || g.cur == 2
	} else {
		g.cur++
		g.max = max(g.max, g.cur)
	}
	g.mu.Unlock()
	if !isLock {
		time.Sleep(200 * time.Millisecond) // a slow upload: keeps its slot busy
	}
	resp, err := g.next.RoundTrip(req)
	if !isLock {
		g.mu.Lock()
		g.cur--
		g.mu.Unlock()
	}
	return resp, err
}

// MaxUploads bounds concurrent pack uploads; lock files do not wait.
func TestMaxUploads(t *testing.T) {
	srv := miniotest.Start(t)
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	g := &gauge{next: tr}
	cfg := config(srv, srv.NewBucket(t), "")
	cfg.Transport, cfg.MaxUploads = g, 2
	be := open(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 8; i++ {
		data, id := backendtest.RandomData(t, 1000)
		wg.Go(func() {
			errs <- be.Save(t.Context(), backend.Handle{Type: backend.PackFile, Name: id}, backend.NewByteReader(data))
		})
	}
	// The lock is saved while both upload slots are taken.
	if !testenv.Eventually(10*time.Second, time.Millisecond, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.cur == 2
	}) {
		t.Fatal("the uploads never took both slots")
	}
	lock, lockID := backendtest.RandomData(t, 100)
	if err := be.Save(t.Context(), backend.Handle{Type: backend.LockFile, Name: lockID}, backend.NewByteReader(lock)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if g.max != 2 {
		t.Errorf("at most %d pack uploads in flight, want 2", g.max)
	}
	if !g.sawLockDuring {
		t.Errorf("the lock upload waited for a pack upload slot")
	}
}
