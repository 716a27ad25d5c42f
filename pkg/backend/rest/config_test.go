package rest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/rest"
	"github.com/drydock-backup/drydock/pkg/secret"
)

func TestParseLocation(t *testing.T) {
	cfg, err := rest.ParseLocation(secret.NewURL("rest:https://user:secret@host:8000/some/repo"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.URL.String(); got != "https://host:8000/some/repo/" {
		t.Errorf("URL %q: want the path to end in a slash, and no user info", got)
	}
	if a := cfg.Auth; a == nil || a.User != "user" || a.Password.Reveal() != "secret" {
		t.Errorf("Auth %+v: want the URL's user and password", a)
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
		_, err := rest.ParseLocation(secret.NewURL(bad))
		if err == nil {
			t.Errorf("ParseLocation(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseLocation(%q): error shows the password: %v", bad, err)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{"RESTIC_REST_USERNAME": "envuser", "RESTIC_REST_PASSWORD": "envpass"}
	cfg, _ := rest.ParseLocation(secret.NewURL("rest:http://host/r/"))
	cfg.ApplyEnv(func(k string) string { return env[k] })
	if a := cfg.Auth; a == nil || a.User != "envuser" || a.Password.Reveal() != "envpass" {
		t.Errorf("credentials from the environment not applied: %v", cfg.Auth)
	}
	cfg, _ = rest.ParseLocation(secret.NewURL("rest:http://urluser:urlpass@host/r/"))
	cfg.ApplyEnv(func(k string) string { return env[k] })
	if cfg.Auth == nil || cfg.Auth.User != "urluser" {
		t.Errorf("the URL's credentials were replaced by the environment's")
	}
}
