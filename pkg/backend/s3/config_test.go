package s3_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/s3"
	"github.com/drydock-backup/drydock/pkg/secret"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in                       string
		endpoint, bucket, prefix string
		http                     bool
	}{
		{"s3:http://127.0.0.1:9000/bkt", "127.0.0.1:9000", "bkt", "", true},
		{"s3:http://127.0.0.1:9000/bkt/", "127.0.0.1:9000", "bkt", "", true},
		{"s3:http://127.0.0.1:9000/bkt/some/prefix", "127.0.0.1:9000", "bkt", "some/prefix", true},
		{"s3:https://minio.example:9000/bkt/p", "minio.example:9000", "bkt", "p", false},
		{"s3:s3.amazonaws.com/bucket/prefix/", "s3.amazonaws.com", "bucket", "prefix", false},
		{"s3:s3.amazonaws.com/bucket", "s3.amazonaws.com", "bucket", "", false},
		{"s3://s3.eu-west-1.amazonaws.com/bucket/a//b/./c", "s3.eu-west-1.amazonaws.com", "bucket", "a/b/c", false},
		{"s3:host/bucket/a/../b", "host", "bucket", "b", false},
		{"s3:host/bucket/.", "host", "bucket", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			cfg, err := s3.ParseURL(secret.NewURL(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Endpoint != tc.endpoint || cfg.Bucket != tc.bucket || cfg.Prefix != tc.prefix || cfg.UseHTTP != tc.http {
				t.Fatalf("got endpoint %q bucket %q prefix %q http %v", cfg.Endpoint, cfg.Bucket, cfg.Prefix, cfg.UseHTTP)
			}
		})
	}
	for _, bad := range []string{"", "s3:", "s3:host", "s3:host/", "s3:http://host", "s3://", "sftp:host/x", "/srv/repo"} {
		if _, err := s3.ParseURL(secret.NewURL(bad)); err == nil {
			t.Errorf("ParseURL(%q) succeeded", bad)
		}
	}
}

func TestConfigString(t *testing.T) {
	cfg, _ := s3.ParseURL(secret.NewURL("s3:http://127.0.0.1:9000/bkt/pre"))
	cfg.Secret = secret.New("topsecret")
	if got := cfg.String(); got != "s3:http://127.0.0.1:9000/bkt/pre" {
		t.Fatalf("String() = %q", got)
	}
}

func TestApplyEnv(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := writeFile("key", "AKIDFROMFILE\n")
	secretFile := writeFile("secret", "secret-from-file\r\n")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	t.Run("plain", func(t *testing.T) {
		var cfg s3.Config
		err := cfg.ApplyEnv(env(map[string]string{
			"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "sek", "AWS_SESSION_TOKEN": "tok", "AWS_DEFAULT_REGION": "eu-west-1",
		}))
		if err != nil || cfg.KeyID != "AKID" || cfg.Secret.Reveal() != "sek" || cfg.SessionToken.Reveal() != "tok" || cfg.Region != "eu-west-1" {
			t.Fatalf("got %+v, %v", cfg, err)
		}
	})
	t.Run("files", func(t *testing.T) {
		var cfg s3.Config
		err := cfg.ApplyEnv(env(map[string]string{"AWS_ACCESS_KEY_ID_FILE": keyFile, "AWS_SECRET_ACCESS_KEY_FILE": secretFile}))
		if err != nil || cfg.KeyID != "AKIDFROMFILE" || cfg.Secret.Reveal() != "secret-from-file" {
			t.Fatalf("got key %q secret %q, %v", cfg.KeyID, cfg.Secret.Reveal(), err)
		}
	})
	t.Run("both-set", func(t *testing.T) {
		var cfg s3.Config
		err := cfg.ApplyEnv(env(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_ACCESS_KEY_ID_FILE": keyFile, "AWS_SECRET_ACCESS_KEY": "s"}))
		if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID_FILE") {
			t.Fatalf("got %v, want an error naming AWS_ACCESS_KEY_ID_FILE", err)
		}
	})
	t.Run("missing-file", func(t *testing.T) {
		var cfg s3.Config
		err := cfg.ApplyEnv(env(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY_FILE": filepath.Join(dir, "nope")}))
		if err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY_FILE") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("half", func(t *testing.T) {
		var cfg s3.Config
		if err := cfg.ApplyEnv(env(map[string]string{"AWS_ACCESS_KEY_ID": "a"})); err == nil {
			t.Fatal("key id without secret accepted")
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		var cfg s3.Config
		if err := cfg.ApplyEnv(env(nil)); err != nil {
			t.Fatal(err)
		}
	})
}

// Secrets never show up in formatted or logged output.
func TestSecretRedacted(t *testing.T) {
	cfg := s3.Config{Endpoint: "h", Bucket: "b", KeyID: "AKID", Secret: secret.New("hunter22"), SessionToken: secret.New("tok123")}
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("cfg", "secret", cfg.Secret, "cfg", cfg)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.Secret), sb.String()} {
		if strings.Contains(out, "hunter22") || strings.Contains(out, "tok123") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
}

// ParseURL never panics, and an accepted URL yields a clean prefix that
// cannot climb out of the bucket.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3:http://127.0.0.1:9000/b/p", "s3://h/b/../../x", "s3:h/b//p/./q/", "s3:https://h:1/b", "s3:h/b/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := s3.ParseURL(secret.NewURL(s))
		if err != nil {
			return
		}
		p := cfg.Prefix
		if cfg.Endpoint == "" || cfg.Bucket == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") ||
			p == "." || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.Contains(p, "//") {
			t.Fatalf("ParseURL(%q) = endpoint %q bucket %q prefix %q", s, cfg.Endpoint, cfg.Bucket, p)
		}
	})
}
