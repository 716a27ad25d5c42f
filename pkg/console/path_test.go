package console

import (
	"net/http"
	"strings"
	"testing"
)

// TestPathsStayInTheSnapshot: dot segments, encoded slashes and empty
// segments resolve inside the snapshot, never beside it, and never crash.
func TestPathsStayInTheSnapshot(t *testing.T) {
	f := newFixture(t)
	base := "/api/v1/repositories/default/snapshots/latest/"
	motd := f.snapPath("etc/motd")
	for _, c := range []struct {
		path   string
		status int
	}{
		{"download" + motd, 200},
		{"download" + strings.ReplaceAll(motd, "/", "//"), 200},          // empty segments
		{"download" + strings.Replace(motd, "/etc/", "/etc%2F", 1), 200}, // an encoded slash is a separator inside the snapshot
		{"download" + f.snapPath("etc/app") + "/%2e%2e/motd", 200},       // ".." below a folder stays below the root
		{"tree/%2e%2e/%2e%2e/%2e%2e", 200},                               // the root, however many ".."
		{"tree/..%2f..%2f..%2fetc", 404},
		{"tree/%00", 400},
		{"download/%2e%2e%2fetc%2fpasswd", 404},
	} {
		res := f.get(t, base+c.path, testToken)
		body := readBody(t, res)
		if res.StatusCode == http.StatusMovedPermanently || res.StatusCode == http.StatusTemporaryRedirect {
			// ServeMux cleans "//" and ".." and redirects; follow once.
			res = f.get(t, res.Header.Get("Location"), testToken)
			body = readBody(t, res)
		}
		if res.StatusCode != c.status {
			t.Errorf("GET %s: %s %s, want %d", c.path, res.Status, body, c.status)
		}
		if c.status == 200 && strings.HasPrefix(c.path, "download") && string(body) != "hello\n" {
			t.Errorf("GET %s: %q, want the snapshot's motd", c.path, body)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "..", "../..", "a/../../b", "a//b", "a/./b/", "%2e%2e", "a\x00b", "/../etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := cleanPath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || (p != "/" && strings.HasSuffix(p, "/")) || strings.Contains(p, "//") {
			t.Fatalf("cleanPath(%q) = %q", in, p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("cleanPath(%q) = %q keeps a dot segment", in, p)
			}
		}
	})
}
