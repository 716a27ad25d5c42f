package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// With Config.ObjectLock set, every file but locks is saved with that
// retention, and the bucket must have Object Lock enabled (which makes it
// versioned). A plain DELETE in a versioned bucket only hides an object
// behind a delete marker, so Remove deletes each version of the key
// instead: the storage then refuses it while a version is retained.

var _ backend.Retainer = (*Backend)(nil)

// ObjectLock implements backend.Retainer.
func (b *Backend) ObjectLock() backend.ObjectLock { return b.cfg.ObjectLock }

// checkObjectLock refuses a bucket without Object Lock, where the
// retention drydock asks for could not be kept, and one with a default
// retention, which would retain the lock files too.
func (b *Backend) checkObjectLock(ctx context.Context) error {
	if b.cfg.ObjectLock.IsZero() {
		return nil
	}
	enabled, mode, validity, unit, err := b.objectLockConfig(ctx)
	if err != nil {
		return fmt.Errorf("read the object lock configuration of bucket %q: %w", b.cfg.Bucket, b.translate(err))
	}
	if enabled != "Enabled" {
		return fmt.Errorf("bucket %q does not have object locking enabled, which -o s3.object-lock=%s needs; "+
			"object locking can only be chosen when a bucket is created (mc mb --with-lock, aws s3api create-bucket --object-lock-enabled-for-bucket)",
			b.cfg.Bucket, b.cfg.ObjectLock)
	}
	if mode != nil && *mode != "" {
		return fmt.Errorf("bucket %q has a default retention (%s, %d %s), which would also retain lock files so that they could not be removed; "+
			"drydock gives each file its retention itself: clear the default (mc retention clear --default)", b.cfg.Bucket, *mode, deref(validity), deref(unit))
	}
	return nil
}

// contentMD5 says whether uploads send a Content-MD5 header. Over plain
// HTTP minio-go signs every chunk of the body with SHA-256 and the server
// checks it, so an MD5 is a second hash of the same bytes (15.7% of the CPU
// of a backup into MinIO, bench/README session 18); S3 still asks for one
// (or a checksum) on objects under Object Lock, so a bucket with locking
// enabled gets it, as does any bucket whose locking cannot be read. Over
// HTTPS the body is sent unsigned and its MD5 is the server's only check
// of it: always sent there, as restic does everywhere.
func (b *Backend) contentMD5(ctx context.Context) bool {
	if !b.cfg.UseHTTP || !b.cfg.ObjectLock.IsZero() {
		return true
	}
	b.md5Once.Do(func() {
		enabled, _, _, _, err := b.objectLockConfig(ctx)
		b.md5 = err != nil || enabled == "Enabled"
	})
	return b.md5
}

// objectLockConfig reads the bucket's Object Lock configuration; a bucket
// that has none answers enabled "" and no error.
func (b *Backend) objectLockConfig(ctx context.Context) (enabled string, mode *minio.RetentionMode, validity *uint, unit *minio.ValidityUnit, err error) {
	enabled, mode, validity, unit, err = b.client.GetObjectLockConfig(ctx, b.cfg.Bucket)
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == "ObjectLockConfigurationNotFoundError" {
		return "", nil, nil, nil, nil
	}
	return enabled, mode, validity, unit, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// putOptions adds the retention of a new file of type t to opts.
func (b *Backend) putOptions(t backend.FileType, opts minio.PutObjectOptions) minio.PutObjectOptions {
	if b.cfg.ObjectLock.IsZero() || t == backend.LockFile {
		return opts
	}
	opts.Mode = minioMode(b.cfg.ObjectLock.Mode)
	opts.RetainUntilDate = time.Now().Add(b.cfg.ObjectLock.Duration).UTC()
	return opts
}

func minioMode(m backend.RetentionMode) minio.RetentionMode {
	if m == backend.Compliance {
		return minio.Compliance
	}
	return minio.Governance
}

// Retention implements backend.Retainer for the current version of h.
func (b *Backend) Retention(ctx context.Context, h backend.Handle) (backend.Retention, error) {
	if err := check(ctx, h); err != nil {
		return backend.Retention{}, fmt.Errorf("retention of %s: %w", h, err)
	}
	mode, until, err := b.client.GetObjectRetention(ctx, b.cfg.Bucket, b.key(h), "")
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == "NoSuchObjectLockConfiguration" {
		return backend.Retention{}, nil
	}
	if err != nil {
		return backend.Retention{}, fmt.Errorf("retention of %s: %w", h, b.translate(err))
	}
	var ret backend.Retention
	if mode != nil {
		ret.Mode = backend.RetentionMode(strings.ToLower(string(*mode)))
	}
	if until != nil {
		ret.Until = *until
	}
	return ret, nil
}

// Retain implements backend.Retainer.
func (b *Backend) Retain(ctx context.Context, h backend.Handle, mode backend.RetentionMode, until time.Time) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("retain %s: %w", h, err)
	}
	m, u := minioMode(mode), until.UTC()
	err := b.client.PutObjectRetention(ctx, b.cfg.Bucket, b.key(h), minio.PutObjectRetentionOptions{Mode: &m, RetainUntilDate: &u})
	if err != nil {
		return fmt.Errorf("retain %s until %s: %w", h, backend.FormatUntil(until), b.translate(err))
	}
	return nil
}

// removeVersions deletes every version of h's key, newest first, and the
// delete markers among them: the first version still retained stops it
// with an error wrapping backend.ErrRetained, before older versions go.
func (b *Backend) removeVersions(ctx context.Context, h backend.Handle) error {
	key := b.key(h)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if obj.Err != nil {
			return fmt.Errorf("remove %s: list versions: %w", h, b.translate(obj.Err))
		}
		if obj.Key != key {
			continue
		}
		err := b.client.RemoveObject(ctx, b.cfg.Bucket, key, minio.RemoveObjectOptions{VersionID: obj.VersionID})
		if err != nil {
			return fmt.Errorf("remove %s (version %s): %w", h, obj.VersionID, b.translate(err))
		}
	}
	return ctx.Err()
}

// isRetained tells whether resp is the storage refusing to delete or
// overwrite a retained version: MinIO answers InvalidRequest "Object is
// WORM protected", AWS AccessDenied "… protected by object lock".
func isRetained(resp minio.ErrorResponse) bool {
	msg := strings.ToLower(resp.Message)
	switch resp.Code {
	case "ObjectLocked":
		return true
	case "InvalidRequest":
		return strings.Contains(msg, "worm protected")
	case "AccessDenied":
		return strings.Contains(msg, "worm protected") || strings.Contains(msg, "protected by object lock")
	}
	return false
}
