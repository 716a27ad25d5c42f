package s3_test

import (
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// CheckDeletes against MinIO: a user with the README's append-only policy
// is refused (AccessDenied) and can still remove locks; the root user may
// delete.
func TestCheckDeletes(t *testing.T) {
	srv := miniotest.Start(t)
	t.Run("append-only", func(t *testing.T) {
		bucket := srv.NewBucket(t)
		cfg := config(srv, bucket, "")
		cfg.KeyID, cfg.Secret = userCreds(t, srv, miniotest.AppendOnlyPolicyFor(bucket))
		backendtest.AppendOnly(t, open(t, cfg))
	})
	t.Run("root", func(t *testing.T) {
		backendtest.DeletesAllowed(t, open(t, config(srv, srv.NewBucket(t), "")))
	})
}

func userCreds(t *testing.T, srv *miniotest.Server, policy string) (string, secret.Value) {
	access, key := srv.AddUser(t, policy)
	return access, secret.New(key)
}
