package miniotest

import (
	"strings"
	"testing"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// AddUser creates a user on the server, as `mc admin user add` and
// `mc admin policy create` + `attach` would, with policy (an IAM policy
// document in JSON) as its only policy, and returns its access and secret
// key. Tests use it for credentials narrower than the root's, such as an
// append-only one.
func (s *Server) AddUser(t testing.TB, policy string) (accessKey, secretKey string) {
	t.Helper()
	adm, err := madmin.NewWithOptions(s.Endpoint, &madmin.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		t.Fatalf("minio admin client: %v", err)
	}
	ctx := t.Context()
	accessKey, secretKey = "user-"+randomHex(6), randomHex(20)
	name := "policy-" + accessKey
	if err := adm.AddCannedPolicy(ctx, name, []byte(policy)); err != nil {
		t.Fatalf("create policy %s: %v\n%s", name, err, policy)
	}
	if err := adm.AddUser(ctx, accessKey, secretKey); err != nil {
		t.Fatalf("add user %s: %v", accessKey, err)
	}
	if _, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{name}, User: accessKey}); err != nil {
		t.Fatalf("attach policy %s to %s: %v", name, accessKey, err)
	}
	return accessKey, secretKey
}

// AppendOnlyPolicy is the policy of the README's append-only S3 user, for
// a repository at the root of bucket BUCKET: list the bucket, read and
// write every object, delete only under locks/. Tests replace BUCKET
// (AppendOnlyPolicyFor); the README shows this text verbatim.
const AppendOnlyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::BUCKET"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": ["arn:aws:s3:::BUCKET/*"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:DeleteObject"],
      "Resource": ["arn:aws:s3:::BUCKET/locks/*"]
    }
  ]
}`

// AppendOnlyPolicyFor returns AppendOnlyPolicy for bucket.
func AppendOnlyPolicyFor(bucket string) string {
	return strings.ReplaceAll(AppendOnlyPolicy, "BUCKET", bucket)
}
