// Package s3 stores a restic repository in an S3 bucket (AWS, MinIO, and
// other S3-compatible services) through minio-go, with the object keys
// restic uses: PREFIX/config, PREFIX/keys/<id>, PREFIX/data/<id[:2]>/<id>,
// PREFIX/index/<id>, PREFIX/snapshots/<id>, PREFIX/locks/<id>.
//
// minio-go's own retries are disabled per client; retrying is the job of the
// retry decorator (pkg/backend/retry), in one place. Errors from minio-go
// are translated once, here, into the backend sentinels.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
)

// Backend is a repository in an S3 bucket.
type Backend struct {
	client *minio.Client
	core   minio.Core
	cfg    Config
	sem    chan struct{} // upload slots
	log    *slog.Logger
	tr     *http.Transport // ours, nil if the caller supplied one

	md5Once sync.Once
	md5     bool // uploads carry Content-MD5 (contentMD5)
}

var _ backend.Backend = (*Backend)(nil)

// partSize is the size up to which an object goes up in a single PUT; restic
// uses the same bound, so packs (at most 128 MiB) never use multipart.
const partSize = 200 << 20

// Open connects to an existing bucket. It fails with an error wrapping
// backend.ErrLocationMissing if the bucket does not exist, and with
// backend.ErrPermission if the credentials are refused.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	ok, err := b.bucketExists(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s: check bucket: %w", cfg, err)
	}
	if !ok {
		return nil, fmt.Errorf("open %s: bucket %q: %w", cfg, cfg.Bucket, backend.ErrLocationMissing)
	}
	if err := b.checkObjectLock(ctx); err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg, err)
	}
	return b, nil
}

// Create connects to the bucket, creating it if it does not exist.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	ok, err := b.bucketExists(ctx)
	if err != nil {
		return nil, fmt.Errorf("create %s: check bucket: %w", cfg, err)
	}
	if ok {
		if err := b.checkObjectLock(ctx); err != nil {
			return nil, fmt.Errorf("create %s: %w", cfg, err)
		}
		return b, nil
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	err = b.client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: region, ObjectLocking: !cfg.ObjectLock.IsZero()})
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == minio.BucketAlreadyOwnedByYou {
		err = nil // created concurrently by us
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: make bucket %q: %w", cfg, cfg.Bucket, b.translate(err))
	}
	b.log.Debug("created bucket", "bucket", cfg.Bucket, "endpoint", cfg.Endpoint)
	return b, nil
}

// bucketExists asks whether the bucket exists, retrying transient failures
// for up to cfg.RetryMax: the retry decorator cannot cover this call,
// since it wraps the backend only once Open has returned it.
func (b *Backend) bucketExists(ctx context.Context) (bool, error) {
	check := func() (bool, error) {
		ok, err := b.client.BucketExists(ctx, b.cfg.Bucket)
		return ok, b.translate(err)
	}
	if b.cfg.RetryMax <= 0 {
		return check()
	}
	var ok bool
	err := retry.Do(ctx, retry.Options{MaxElapsed: b.cfg.RetryMax, Logger: b.log}, "check bucket", b.cfg.Bucket, func() error {
		var err error
		ok, err = check()
		return err
	})
	return ok, err
}

// isZeroTLS tells whether o asks for nothing beyond the defaults.
func isZeroTLS(o backend.TLSOptions) bool {
	return len(o.CACerts) == 0 && o.ClientCert == "" && !o.Insecure
}

func newBackend(cfg Config) (*Backend, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("s3: endpoint and bucket are required (got %q, %q)", cfg.Endpoint, cfg.Bucket)
	}
	cfg.Prefix = cleanPrefix(cfg.Prefix)
	if cfg.MaxUploads <= 0 {
		cfg.MaxUploads = defaultMaxUploads
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var own *http.Transport
	tr := cfg.Transport
	if tr == nil {
		t, err := minio.DefaultTransport(!cfg.UseHTTP)
		if err != nil {
			return nil, fmt.Errorf("s3: http transport: %w", err)
		}
		// Fail fast on an unreachable endpoint; the retry layer decides
		// whether to try again.
		t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.MaxIdleConnsPerHost = cfg.MaxUploads + 4
		if !cfg.UseHTTP && !isZeroTLS(cfg.TLS) {
			if t.TLSClientConfig, err = cfg.TLS.Config(); err != nil {
				return nil, fmt.Errorf("s3: %w", err)
			}
		}
		tr, own = t, t
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.KeyID, cfg.Secret.Reveal(), cfg.SessionToken.Reveal()),
		Secure:    !cfg.UseHTTP,
		Region:    cfg.Region,
		Transport: tr,
		// One attempt per call: retries happen in pkg/backend/retry.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: client for %s: %w", cfg.Endpoint, err)
	}
	return &Backend{
		client: client,
		core:   minio.Core{Client: client},
		cfg:    cfg,
		sem:    make(chan struct{}, cfg.MaxUploads),
		log:    cfg.Logger,
		tr:     own,
	}, nil
}

// Config returns the configuration in use (secrets redact themselves).
func (b *Backend) Config() Config { return b.cfg }

// key returns the object key of h: path.Join(prefix, layout path).
func (b *Backend) key(h backend.Handle) string {
	return path.Join(b.cfg.Prefix, backend.Path(h))
}

// Save implements backend.Backend with a single PutObject carrying
// Content-MD5, so the server rejects corrupted uploads, and checks the size
// the server reports.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("save %s: %w", h, err)
	}
	if h.Type != backend.LockFile {
		select {
		case b.sem <- struct{}{}:
			defer func() { <-b.sem }()
		case <-ctx.Done():
			return fmt.Errorf("save %s: wait for upload slot: %w", h, ctx.Err())
		}
	}
	if err := rd.Rewind(); err != nil {
		return fmt.Errorf("save %s: rewind input: %w", h, err)
	}
	size := rd.Length()
	var body io.Reader = rd
	if ra, ok := rd.(io.ReaderAt); ok {
		// minio-go hashes a ReaderAt+Seeker in place instead of buffering.
		body = io.NewSectionReader(ra, 0, size)
	}
	info, err := b.client.PutObject(ctx, b.cfg.Bucket, b.key(h), body, size, b.putOptions(h.Type, minio.PutObjectOptions{
		ContentType:    "application/octet-stream",
		SendContentMd5: b.contentMD5(ctx),
		PartSize:       partSize,
	}))
	if err != nil {
		return fmt.Errorf("save %s: put %s/%s: %w", h, b.cfg.Bucket, b.key(h), b.translate(err))
	}
	if info.Size != size {
		return fmt.Errorf("save %s: server stored %d bytes, sent %d: %w", h, info.Size, size, backend.ErrTransient)
	}
	return nil
}

// Load implements backend.Backend with one ranged GET. The request is made
// before fn runs, so a missing object or a bad range fails without calling
// fn.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	if length < 0 || offset < 0 {
		return fmt.Errorf("load %s: %w: negative offset %d or length %d", h, backend.ErrRange, offset, length)
	}
	var opts minio.GetObjectOptions
	if offset > 0 || length > 0 {
		end := int64(0) // "bytes=offset-"
		if length > 0 {
			end = offset + int64(length) - 1
		}
		if err := opts.SetRange(offset, end); err != nil {
			return fmt.Errorf("load %s: %w: %w", h, backend.ErrRange, err)
		}
	}
	body, info, hdr, err := b.core.GetObject(ctx, b.cfg.Bucket, b.key(h), opts)
	if err != nil {
		return fmt.Errorf("load %s: get %s/%s: %w", h, b.cfg.Bucket, b.key(h), b.translate(err))
	}
	defer body.Close()
	if offset > 0 || length > 0 {
		// A range that starts inside the object but ends past it is
		// answered with fewer bytes: check against the total size.
		cr, ok := backend.ParseContentRange(hdr.Get("Content-Range"))
		if !ok {
			return fmt.Errorf("load %s: server answered a range request without a usable Content-Range (%q)", h, hdr.Get("Content-Range"))
		}
		if _, err := backend.CheckRange(cr.Total, int64(length), offset); err != nil {
			return fmt.Errorf("load %s: %w", h, err)
		}
		if cr.First != offset {
			return fmt.Errorf("load %s: server answered a range request from offset %d with Content-Range %q", h, offset, hdr.Get("Content-Range"))
		}
	}
	want := info.Size
	if want < 0 {
		want = 0
	}
	if err := fn(backend.ExactReader(ctx, body, want)); err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	return nil
}

// Stat implements backend.Backend.
func (b *Backend) Stat(ctx context.Context, h backend.Handle) (int64, error) {
	if err := check(ctx, h); err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, err)
	}
	info, err := b.client.StatObject(ctx, b.cfg.Bucket, b.key(h), minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, b.translate(err))
	}
	return info.Size, nil
}

// Remove implements backend.Backend. S3 reports success for a missing key,
// which matches the contract. With an object lock every version of the
// key is removed (see removeVersions).
func (b *Backend) Remove(ctx context.Context, h backend.Handle) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("remove %s: %w", h, err)
	}
	if !b.cfg.ObjectLock.IsZero() {
		return b.removeVersions(ctx, h)
	}
	if err := b.client.RemoveObject(ctx, b.cfg.Bucket, b.key(h), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("remove %s: %w", h, b.translate(err))
	}
	return nil
}

// List implements backend.Backend with ListObjectsV2 of PREFIX/<dir>/,
// recursive for data/ where only keys one subdirectory deep count.
func (b *Backend) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := backend.Dir(t)
	if dir == "" {
		return fmt.Errorf("list %s: %w: type cannot be listed", t, backend.ErrInvalidHandle)
	}
	prefix := path.Join(b.cfg.Prefix, dir) + "/"
	// Cancelling stops minio-go's listing goroutine if we return early.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{
		Prefix:    prefix,
		Recursive: t == backend.PackFile,
	})
	for obj := range objects {
		if obj.Err != nil {
			return fmt.Errorf("list %s: %w", prefix, b.translate(obj.Err))
		}
		rel := strings.TrimPrefix(obj.Key, prefix)
		name := rel
		if t == backend.PackFile {
			sub, n, ok := strings.Cut(rel, "/")
			if !ok || sub == "" || strings.Contains(n, "/") {
				continue // not data/<sub>/<name>
			}
			name = n
		}
		if !backend.IsValidID(name) {
			continue // also skips "dir/" common prefixes
		}
		if err := fn(name, obj.Size); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Close implements backend.Backend; idle connections of the transport the
// backend created are dropped.
func (b *Backend) Close() error {
	if b.tr != nil {
		b.tr.CloseIdleConnections()
	}
	return nil
}

func check(ctx context.Context, h backend.Handle) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return h.Validate()
}
