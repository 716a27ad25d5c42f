package miniotest

import (
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// NewLockedBucket creates a bucket with object locking enabled (and so
// versioning), without a default retention, and returns its name.
func (s *Server) NewLockedBucket(t testing.TB) string {
	t.Helper()
	name := BucketName()
	if err := s.Client(t).MakeBucket(t.Context(), name, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatalf("make bucket %s with object locking: %v", name, err)
	}
	return name
}

// Unretain lifts the governance retention of every version of key, as a
// root credential may (x-amz-bypass-governance-retention), so that a test
// sees what happens once a retention has run out without waiting for it.
func (s *Server) Unretain(t testing.TB, bucket, key string) {
	t.Helper()
	c := s.Client(t)
	for obj := range c.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if obj.Err != nil {
			t.Fatalf("list versions of %s: %v", key, obj.Err)
		}
		if obj.Key != key || obj.IsDeleteMarker {
			continue
		}
		err := c.PutObjectRetention(t.Context(), bucket, key, minio.PutObjectRetentionOptions{GovernanceBypass: true, VersionID: obj.VersionID})
		if err != nil {
			t.Fatalf("lift the retention of %s (version %s): %v", key, obj.VersionID, err)
		}
	}
}

// ObjectLockPolicy is the policy of the README's backup user for a
// bucket with object locking, for a repository at the root of bucket
// BUCKET: read, write and list every object and its versions, delete a
// version (which the lock refuses while it is retained), read and extend
// retentions; never s3:BypassGovernanceRetention. MinIO asks for
// s3:DeleteObject on every delete, also of a version, so it is here,
// although it lets a plain DELETE hide a file behind a delete marker.
// Tests replace BUCKET (ObjectLockPolicyFor); the README shows this text
// verbatim.
const ObjectLockPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketObjectLockConfiguration"],
      "Resource": ["arn:aws:s3:::BUCKET"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectRetention", "s3:PutObjectRetention"],
      "Resource": ["arn:aws:s3:::BUCKET/*"]
    }
  ]
}`

// ObjectLockPolicyFor returns ObjectLockPolicy for bucket.
func ObjectLockPolicyFor(bucket string) string {
	return strings.ReplaceAll(ObjectLockPolicy, "BUCKET", bucket)
}

// ShortenRetention sets the governance retention of the current version
// of key to until, bypassing the lock as a root credential may, so that a
// test sees a retention about to run out without waiting for it.
func (s *Server) ShortenRetention(t testing.TB, bucket, key string, until time.Time) {
	t.Helper()
	mode, u := minio.Governance, until.UTC()
	err := s.Client(t).PutObjectRetention(t.Context(), bucket, key, minio.PutObjectRetentionOptions{GovernanceBypass: true, Mode: &mode, RetainUntilDate: &u})
	if err != nil {
		t.Fatalf("shorten the retention of %s: %v", key, err)
	}
}

// Keys lists the current objects of bucket under prefix.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	for obj := range s.Client(t).ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("list %s: %v", prefix, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// Versions counts the versions and delete markers of bucket under prefix.
func (s *Server) Versions(t testing.TB, bucket, prefix string) int {
	t.Helper()
	n := 0
	for obj := range s.Client(t).ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if obj.Err != nil {
			t.Fatalf("list versions under %s: %v", prefix, obj.Err)
		}
		n++
	}
	return n
}
