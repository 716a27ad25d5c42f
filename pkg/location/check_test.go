package location

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		loc  string
		want string // substring of the error; "" for none
	}{
		{"/srv/repo", ""},
		{"local:/srv/repo", ""},
		{"s3:http://127.0.0.1:9000/bucket/prefix", ""},
		{"s3:https://minio.example/bucket", ""},
		{"s3:s3.amazonaws.com/bucket", ""},
		{"s3://s3.amazonaws.com/bucket", ""},
		{"s3:host:9000/bucket/a://b", ""}, // "://" after the host is part of the prefix
		{"s3:ftp://host/bucket", `unknown URL scheme "ftp"`},
		{"s3:HTTP://host/bucket", `unknown URL scheme "HTTP"`},
		{"s3:file:///bucket", `unknown URL scheme "file"`},
		{"s3:://host/bucket", `unknown URL scheme ""`},
		{"s3:http://host", "no bucket"},
	} {
		err := Check(secret.NewURL(c.loc))
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%q) = %v, want error containing %q", c.loc, err, c.want)
		}
	}
	if err := Check(secret.URL{}); !errors.Is(err, repo.ErrNoRepository) {
		t.Errorf("Check(\"\") = %v, want ErrNoRepository", err)
	}
}

// Open refuses an unknown scheme before it contacts anything.
func TestOpenUnknownScheme(t *testing.T) {
	_, err := Open(t.Context(), secret.NewURL("s3:ftp://127.0.0.1:1/bucket"), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown URL scheme "ftp"`) {
		t.Fatalf("Open: %v", err)
	}
}

func TestReadPasswordEmpty(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty": "", "newline": "\n", "crlf": "\r\n"} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadPassword(f); !errors.Is(err, ErrEmptyPassword) || !strings.Contains(err.Error(), f) {
			t.Errorf("ReadPassword of %q: %v, want ErrEmptyPassword naming the file", content, err)
		}
	}
	f := filepath.Join(dir, "pw")
	if err := os.WriteFile(f, []byte(" secret \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if pw, err := ReadPassword(f); err != nil || pw.Reveal() != " secret " {
		t.Errorf("ReadPassword = %q, %v", pw.Reveal(), err)
	}
}

// TestUnsupportedSchemes: restic's other backends and any "word:" prefix
// are refused, never taken for a local directory; local: and plain paths
// with a colon further on are paths.
func TestUnsupportedSchemes(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, loc := range []string{"b2:bucket:path", "azure:container:/", "gs:bucket:/", "swift:c:/p",
		"ftp:host/path", "file:/srv/repo", "foo:bar", "S3x:whatever"} {
		err := Check(secret.NewURL(loc))
		if !errors.Is(err, ErrUnsupportedScheme) {
			t.Errorf("Check(%q) = %v, want ErrUnsupportedScheme", loc, err)
		}
		if _, err := Open(t.Context(), secret.NewURL(loc), Options{Create: true}); !errors.Is(err, ErrUnsupportedScheme) {
			t.Errorf("Open(%q, create) = %v, want ErrUnsupportedScheme", loc, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused locations created %v", entries)
	}
	for _, loc := range []string{"local:with:colon", "./with:colon", "/abs/with:colon", "relative/a:b"} {
		if err := Check(secret.NewURL(loc)); err != nil {
			t.Errorf("Check(%q) = %v, want a path", loc, err)
		}
	}
}

// TestRemoteLocations: sftp: and rest: locations are checked when parsed,
// and -o options that drydock does not know, or that are meant for another
// kind of repository, are errors, all before any connection is made.
func TestRemoteLocations(t *testing.T) {
	for _, loc := range []string{"sftp:user@host:/srv/repo", "sftp:host:rel/repo", "sftp://u@host:2222//srv/repo", "rest:http://127.0.0.1:8000/", "rest:https://u:p@h:8000/repo/"} {
		if err := Check(secret.NewURL(loc)); err != nil {
			t.Errorf("Check(%q) = %v", loc, err)
		}
	}
	for _, loc := range []string{"sftp:", "sftp:host", "sftp:-oProxyCommand=x:path", "rest:ftp://h/", "rest:"} {
		if err := Check(secret.NewURL(loc)); err == nil {
			t.Errorf("Check(%q) accepted", loc)
		}
	}
	for _, tc := range []struct {
		loc string
		ext map[string]string
	}{
		{"rest:http://127.0.0.1:1/", map[string]string{"sftp.command": "ssh x"}},
		{"/srv/repo", map[string]string{"rest.connections": "2"}},
		{"rest:http://127.0.0.1:1/", map[string]string{"rest.conections": "2"}},
		{"rest:http://127.0.0.1:1/", map[string]string{"rest.connections": "zero"}},
	} {
		if _, err := Open(t.Context(), secret.NewURL(tc.loc), Options{Extended: tc.ext}); err == nil || !strings.Contains(err.Error(), "option") {
			t.Errorf("Open(%q, -o %v) = %v, want an option error", tc.loc, tc.ext, err)
		}
	}
	if got := fmt.Sprint(secret.NewURL("rest:https://user:secret@h:8000/repo/")); strings.Contains(got, "secret") {
		t.Errorf("a location shows its password: %s", got)
	}
}
