package s3_test

import (
	"bytes"
	"errors"
	"io"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/s3"
)

func lockedConfig(t *testing.T, srv *miniotest.Server, bucket, lock string) s3.Config {
	t.Helper()
	cfg := config(srv, bucket, "")
	var err error
	if cfg.ObjectLock, err = backend.ParseObjectLock(lock); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func saveBytes(t *testing.T, be backend.Backend, h backend.Handle, data []byte) {
	t.Helper()
	if err := be.Save(t.Context(), h, backend.NewByteReader(data)); err != nil {
		t.Fatalf("save %v: %v", h, err)
	}
}

// Open and Create refuse a bucket where the retention cannot be kept, or
// where lock files would be retained too; Create makes a missing bucket
// with object locking.
func TestObjectLockBucket(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := t.Context()
	t.Run("no object locking", func(t *testing.T) {
		cfg := lockedConfig(t, srv, srv.NewBucket(t), "governance:1m")
		for name, open := range map[string]func() error{
			"open":   func() error { _, err := s3.Open(ctx, cfg); return err },
			"create": func() error { _, err := s3.Create(ctx, cfg); return err },
		} {
			err := open()
			if err == nil || !strings.Contains(err.Error(), "does not have object locking enabled") {
				t.Errorf("%s: got %v, want a refusal naming object locking", name, err)
			}
		}
	})
	t.Run("default retention", func(t *testing.T) {
		bucket := srv.NewLockedBucket(t)
		mode, days, unit := minio.Governance, uint(1), minio.Days
		if err := srv.Client(t).SetObjectLockConfig(ctx, bucket, &mode, &days, &unit); err != nil {
			t.Fatal(err)
		}
		_, err := s3.Open(ctx, lockedConfig(t, srv, bucket, "governance:1m"))
		if err == nil || !strings.Contains(err.Error(), "default retention") {
			t.Fatalf("got %v, want a refusal naming the default retention", err)
		}
	})
	t.Run("create makes a locked bucket", func(t *testing.T) {
		bucket := miniotest.BucketName()
		be, err := s3.Create(ctx, lockedConfig(t, srv, bucket, "governance:1m"))
		if err != nil {
			t.Fatal(err)
		}
		_ = be.Close()
		enabled, _, _, _, err := srv.Client(t).GetObjectLockConfig(ctx, bucket)
		if err != nil || enabled != "Enabled" {
			t.Fatalf("object lock of the new bucket: %q, %v", enabled, err)
		}
	})
	t.Run("without the option any bucket opens", func(t *testing.T) {
		open(t, config(srv, srv.NewLockedBucket(t), ""))
	})
}

// Every file but locks is saved retained; with the backup user's own
// credentials a retained pack or snapshot can be neither deleted (by
// drydock's Remove, by deleting its version) nor destroyed by an
// overwrite, while a lock file goes completely.
func TestObjectLockSaveAndRemove(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := t.Context()
	bucket := srv.NewLockedBucket(t)
	cfg := lockedConfig(t, srv, bucket, "governance:1m")
	cfg.KeyID, cfg.Secret = userCreds(t, srv, miniotest.ObjectLockPolicyFor(bucket))
	be := open(t, cfg)
	user := minioClient(t, srv, cfg)

	before := time.Now()
	for _, typ := range []backend.FileType{backend.PackFile, backend.SnapshotFile, backend.IndexFile, backend.KeyFile} {
		h := backend.Handle{Type: typ, Name: strings.Repeat("a", 63) + "1"}
		data := []byte("original " + typ.String())
		saveBytes(t, be, h, data)
		ret, err := be.Retention(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if ret.Mode != backend.Governance || ret.Until.Before(before.Add(time.Minute-time.Second)) || ret.Until.After(time.Now().Add(time.Minute+time.Second)) {
			t.Fatalf("%v: retention %+v, want governance for a minute from %v", h, ret, before)
		}
		if err := be.Remove(ctx, h); !errors.Is(err, backend.ErrRetained) {
			t.Errorf("remove %v: got %v, want ErrRetained", h, err)
		}
		key := backend.Path(h)
		version := versions(t, user, bucket, key)[0]
		if err := user.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: version}); err == nil {
			t.Errorf("deleting version %s of %s was allowed", version, key)
		}
		forged := []byte("overwritten")
		if _, err := user.PutObject(ctx, bucket, key, bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("overwrite %s: %v", key, err)
		}
		if got := readVersion(t, user, bucket, key, version); !bytes.Equal(got, data) {
			t.Errorf("%s after an overwrite: the retained version holds %q, want %q", key, got, data)
		}
		if err := user.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: version}); err == nil {
			t.Errorf("deleting version %s of %s was allowed after an overwrite", version, key)
		}
	}

	lock := backend.Handle{Type: backend.LockFile, Name: strings.Repeat("b", 64)}
	saveBytes(t, be, lock, []byte("lock"))
	if ret, err := be.Retention(ctx, lock); err != nil || !ret.Until.IsZero() {
		t.Fatalf("lock file retention %+v, %v; want none", ret, err)
	}
	if err := be.Remove(ctx, lock); err != nil {
		t.Fatalf("remove lock: %v", err)
	}
	if v := versions(t, user, bucket, backend.Path(lock)); len(v) != 0 {
		t.Fatalf("lock file left %d versions behind", len(v))
	}
}

// Once a retention has run out (lifted here rather than waited for),
// Remove deletes every version of the file.
func TestObjectLockRemoveExpired(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewLockedBucket(t)
	be := open(t, lockedConfig(t, srv, bucket, "governance:1m"))
	h := backend.Handle{Type: backend.PackFile, Name: strings.Repeat("c", 64)}
	saveBytes(t, be, h, []byte("one"))
	saveBytes(t, be, h, []byte("two")) // a retried upload: a second version
	srv.Unretain(t, bucket, backend.Path(h))
	if err := be.Remove(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	if v := versions(t, srv.Client(t), bucket, backend.Path(h)); len(v) != 0 {
		t.Fatalf("%d versions left", len(v))
	}
}

// Retain extends a retention; governance cannot be shortened without a
// bypass, and compliance, even by root with a bypass, is never lifted and
// stays compliance when extended.
func TestObjectLockRetain(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := t.Context()
	for _, mode := range []backend.RetentionMode{backend.Governance, backend.Compliance} {
		t.Run(string(mode), func(t *testing.T) {
			bucket := srv.NewLockedBucket(t)
			be := open(t, lockedConfig(t, srv, bucket, string(mode)+":1m"))
			h := backend.Handle{Type: backend.SnapshotFile, Name: strings.Repeat("d", 64)}
			saveBytes(t, be, h, []byte("snapshot"))
			until := time.Now().Add(2 * time.Minute).Truncate(time.Second)
			if err := be.Retain(ctx, h, mode, until); err != nil {
				t.Fatal(err)
			}
			ret, err := be.Retention(ctx, h)
			if err != nil || !ret.Until.Equal(until) || ret.Mode != mode {
				t.Fatalf("after Retain: %+v, %v; want %s until %v", ret, err, mode, until)
			}
			if err := be.Retain(ctx, h, mode, until.Add(-time.Minute)); err == nil {
				t.Error("shortening a retention was allowed")
			}
			if mode != backend.Compliance {
				return
			}
			err = srv.Client(t).RemoveObject(ctx, bucket, backend.Path(h), minio.RemoveObjectOptions{
				VersionID: versions(t, srv.Client(t), bucket, backend.Path(h))[0], GovernanceBypass: true})
			if err == nil {
				t.Error("root deleted a compliance-retained version with a governance bypass")
			}
		})
	}
}

func minioClient(t *testing.T, srv *miniotest.Server, cfg s3.Config) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentialsOf(cfg), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// versions lists the version IDs of key, newest first.
func versions(t *testing.T, c *minio.Client, bucket, key string) []string {
	t.Helper()
	var ids []string
	for obj := range c.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if obj.Err != nil {
			t.Fatalf("list versions of %s: %v", key, obj.Err)
		}
		if obj.Key == key {
			ids = append(ids, obj.VersionID)
		}
	}
	return ids
}

func readVersion(t *testing.T, c *minio.Client, bucket, key, version string) []byte {
	t.Helper()
	obj, err := c.GetObject(t.Context(), bucket, key, minio.GetObjectOptions{VersionID: version})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("read %s version %s: %v", path.Base(key), version, err)
	}
	return b
}

func credentialsOf(cfg s3.Config) *credentials.Credentials {
	return credentials.NewStaticV4(cfg.KeyID, cfg.Secret.Reveal(), "")
}
