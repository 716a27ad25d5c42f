package s3

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// Config describes where an S3 repository lives and how to reach it. The
// zero value of each optional field means the default.
type Config struct {
	// Endpoint is "host" or "host:port", without scheme.
	Endpoint string
	// UseHTTP selects plain HTTP instead of HTTPS.
	UseHTTP bool
	Bucket  string
	// Prefix is the cleaned key prefix without leading or trailing slash;
	// empty means the bucket root.
	Prefix string
	// Region; empty lets the client ask the server (MinIO: us-east-1).
	Region string

	KeyID        string
	Secret       secret.Value
	SessionToken secret.Value

	// MaxUploads bounds concurrent Save calls (lock files excepted, so a
	// lock refresh never waits behind pack uploads). Default 5.
	MaxUploads int
	// Transport replaces the HTTP transport (tests). Default: minio-go's
	// transport with a 10 s dial timeout; TLS is then ignored.
	Transport http.RoundTripper
	// TLS holds restic's --cacert, --tls-client-cert and --insecure-tls
	// for an https endpoint; the zero value keeps minio-go's defaults.
	TLS backend.TLSOptions
	// Logger receives debug messages; default discards.
	Logger *slog.Logger
	// ObjectLock, if set, is the retention every file but locks gets (S3
	// Object Lock); the bucket must have object locking enabled, and
	// Create makes a missing bucket with it.
	ObjectLock backend.ObjectLock
	// RetryMax is how long Open and Create retry a transient failure of
	// their bucket check (a server restarting), with the policy of
	// pkg/backend/retry; 0 tries once. Set it to the budget the retry
	// decorator gets, which can only wrap the backend once it is open.
	RetryMax time.Duration
}

// Default values applied by Open and Create.
const (
	// defaultMaxUploads matches restic's default number of S3 connections.
	defaultMaxUploads = 5
)

// ParseURL parses a repository URL in one of the forms restic accepts:
//
//	s3:http://HOST[:PORT]/BUCKET[/PREFIX]
//	s3:https://HOST[:PORT]/BUCKET[/PREFIX]
//	s3:HOST[:PORT]/BUCKET[/PREFIX]       (HTTPS)
//	s3://HOST[:PORT]/BUCKET[/PREFIX]     (HTTPS)
//
// e.g. s3:s3.amazonaws.com/bucket/prefix. The prefix is path.Clean'ed; an
// empty prefix means the bucket root. Credentials are not part of the URL
// (see Config.ApplyEnv); errors show one typed into it masked.
func ParseURL(loc secret.URL) (Config, error) {
	s := loc.Reveal()
	rest, ok := strings.CutPrefix(s, "s3:")
	if !ok {
		return Config{}, fmt.Errorf("parse S3 URL %q: does not start with \"s3:\"", loc)
	}
	var cfg Config
	switch {
	case strings.HasPrefix(rest, "http://"):
		cfg.UseHTTP = true
		rest = strings.TrimPrefix(rest, "http://")
	case strings.HasPrefix(rest, "https://"):
		rest = strings.TrimPrefix(rest, "https://")
	case strings.HasPrefix(rest, "//"):
		rest = strings.TrimPrefix(rest, "//")
	}
	host, bucketPath, _ := strings.Cut(rest, "/")
	bucket, prefix, _ := strings.Cut(strings.TrimLeft(bucketPath, "/"), "/")
	if host == "" {
		return Config{}, fmt.Errorf("parse S3 URL %q: no host", loc)
	}
	if bucket == "" {
		return Config{}, fmt.Errorf("parse S3 URL %q: no bucket (want s3:HOST/BUCKET[/PREFIX])", loc)
	}
	cfg.Endpoint, cfg.Bucket, cfg.Prefix = host, bucket, cleanPrefix(prefix)
	return cfg, nil
}

// cleanPrefix cleans a key prefix: path.Clean, without leading or trailing
// slash, and ".." cannot climb above the bucket root. "", "/" and "." mean
// the bucket root.
func cleanPrefix(p string) string {
	return strings.Trim(path.Clean("/"+p), "/")
}

// String returns the repository URL with http:// spelled out when used
// (credentials are never part of it).
func (c Config) String() string {
	scheme := "https://"
	if c.UseHTTP {
		scheme = "http://"
	}
	return "s3:" + scheme + path.Join(c.Endpoint, c.Bucket, c.Prefix)
}

// ApplyEnv fills credentials and region from the environment, read through
// getenv (os.Getenv in production):
//
//	AWS_ACCESS_KEY_ID      or AWS_ACCESS_KEY_ID_FILE
//	AWS_SECRET_ACCESS_KEY  or AWS_SECRET_ACCESS_KEY_FILE
//	AWS_SESSION_TOKEN      or AWS_SESSION_TOKEN_FILE
//	AWS_DEFAULT_REGION     (then AWS_REGION)
//
// The *_FILE variants name a file holding the value (Docker and systemd
// secrets); a trailing newline is removed. Setting both variants of one
// variable is an error. Fields already set in c are kept.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	get := func(name string) string {
		v, err := envOrFile(getenv, name)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	if c.KeyID == "" {
		c.KeyID = get("AWS_ACCESS_KEY_ID")
	}
	if c.Secret.IsZero() {
		c.Secret = secret.New(get("AWS_SECRET_ACCESS_KEY"))
	}
	if c.SessionToken.IsZero() {
		c.SessionToken = secret.New(get("AWS_SESSION_TOKEN"))
	}
	if c.Region == "" {
		c.Region = getenv("AWS_DEFAULT_REGION")
	}
	if c.Region == "" {
		c.Region = getenv("AWS_REGION")
	}
	if (c.KeyID == "") != c.Secret.IsZero() && len(errs) == 0 {
		errs = append(errs, errors.New("S3 credentials: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE variants), or neither"))
	}
	return errors.Join(errs...)
}

// envOrFile returns $name, or the content of the file named by $name_FILE.
func envOrFile(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case file == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("S3 credentials: both %s and %s_FILE are set; use one", name, name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("S3 credentials: read %s_FILE: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
