package rest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/rest"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"rest:http://user:secret@host:8000/":     "rest:http://user:***@host:8000/",
		"rest:https://u:p%40ss@h/repo/":          "rest:https://u:***@h/repo/",
		"rest:http://user@host:8000/repo":        "rest:http://user@host:8000/repo",
		"rest:http://host:8000/repo@2":           "rest:http://host:8000/repo@2",
		"rest:http://u:p@ss@host/":               "rest:http://u:***@host/",
		"rest:http://u:pa/ss@host/r":             "rest:http://u:***@host/r", // malformed: "/" in the password
		"rest:http://u:pa?ss@host/r":             "rest:http://u:***@host/r",
		"rest:http://u:secret@host/path/with@at": "rest:http://u:***@host/path/with@at",
		"/local/path":                            "/local/path",
		"s3:https://s3.example.com/bucket":       "s3:https://s3.example.com/bucket",
		"https://user:secret@example.com/x":      "https://user:***@example.com/x",
		"rest:http://:secret@host/":              "rest:http://:***@host/",
	} {
		if got := rest.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseLocation(t *testing.T) {
	cfg, err := rest.ParseLocation("rest:https://user:secret@host:8000/some/repo")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.URL.String(); got != "https://user:secret@host:8000/some/repo/" {
		t.Errorf("URL %q: want the path to end in a slash", got)
	}
	// Neither String, %v, %+v, %#v nor slog shows the password.
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "cfg", cfg)
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logged.String()} {
		if strings.Contains(s, "secret") || !strings.Contains(s, "user:***@host:8000") {
			t.Errorf("formatted config %q: shows the password or not the redacted URL", s)
		}
	}
	for _, bad := range []string{
		"rest:ftp://host/", "rest:host:8000/repo", "http://host/", "rest:http:///repo",
		"rest:http://u:s3cret@host:port/", "rest:http://host/?x=1",
	} {
		_, err := rest.ParseLocation(bad)
		if err == nil {
			t.Errorf("ParseLocation(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseLocation(%q): error shows the password: %v", bad, err)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{"RESTIC_REST_USERNAME": "envuser", "RESTIC_REST_PASSWORD": "envpass"}
	cfg, _ := rest.ParseLocation("rest:http://host/r/")
	cfg.ApplyEnv(func(k string) string { return env[k] })
	if p, _ := cfg.URL.User.Password(); cfg.URL.User.Username() != "envuser" || p != "envpass" {
		t.Errorf("credentials from the environment not applied: %v", cfg.URL.User)
	}
	cfg, _ = rest.ParseLocation("rest:http://urluser:urlpass@host/r/")
	cfg.ApplyEnv(func(k string) string { return env[k] })
	if cfg.URL.User.Username() != "urluser" {
		t.Errorf("the URL's credentials were replaced by the environment's")
	}
}
