package s3

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// translate maps a minio-go error to the backend sentinels, once, at the
// boundary. minio.ToErrorResponse does not unwrap, so errors.As is used.
// Network errors pass through unchanged for backend.IsTransient.
func (b *Backend) translate(err error) error {
	var resp minio.ErrorResponse
	if err == nil || !errors.As(err, &resp) {
		return err
	}
	if isRetained(resp) {
		return fmt.Errorf("%w: %w", backend.ErrRetained, err)
	}
	switch resp.Code {
	case "NoSuchKey":
		return fmt.Errorf("%w: %w", backend.ErrNotExist, err)
	case "NoSuchBucket":
		return fmt.Errorf("bucket %q at %s: %w: %w", b.cfg.Bucket, b.cfg.Endpoint, backend.ErrLocationMissing, err)
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
		return fmt.Errorf("credentials refused by %s (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): %w: %w",
			b.cfg.Endpoint, backend.ErrPermission, err)
	case "AccessDenied", "AllAccessDisabled":
		return fmt.Errorf("access to bucket %q at %s denied (check the credentials and the bucket policy): %w: %w",
			b.cfg.Bucket, b.cfg.Endpoint, backend.ErrPermission, err)
	case "InvalidRange":
		return fmt.Errorf("%w: %w", backend.ErrRange, err)
	case "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "XMinioServerNotInitialized":
		return backend.MarkTransient(err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", backend.ErrNotExist, err)
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("access denied by %s: %w: %w", b.cfg.Endpoint, backend.ErrPermission, err)
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%w: %w", backend.ErrRange, err)
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return backend.MarkTransient(err)
	}
	return err
}
