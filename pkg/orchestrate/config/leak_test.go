package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const leakPassword = "hunter2-Qw3"

// TestConfigHidesPasswords: a configuration's repository locations and
// notification URLs hold passwords and tokens; neither its errors nor a
// log line or message that prints the decoded configuration shows them.
func TestConfigHidesPasswords(t *testing.T) {
	pw := leakPassword
	valid := strings.NewReplacer("location: repo", "location: rest:https://user:"+pw+"@host/repo/",
		"generic://127.0.0.1:9/hook", "generic://user:"+pw+"@127.0.0.1:9/hook").Replace(good)
	path, _ := writeConfig(t, valid)
	c, err := Load(path, env(""))
	if err != nil {
		t.Fatal(err)
	}
	if c.Repositories["local"].Location.Reveal() != "rest:https://user:"+pw+"@host/repo/" ||
		!strings.Contains(c.Notify[0].URL.Reveal(), pw) {
		t.Fatalf("the configuration lost its secrets: %q %q", c.Repositories["local"].Location.Reveal(), c.Notify[0].URL.Reveal())
	}
	var logged bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logged, nil), slog.NewJSONHandler(&logged, nil)} {
		slog.New(h).Info("loaded", "repository", c.Repositories["local"], "location", c.Repositories["local"].Location,
			"notify", c.Notify[0], "config", c)
	}
	shown := []string{logged.String(), fmt.Sprintf("%v %+v %#v", *c.Repositories["local"], *c.Notify[0], c.Repositories)}
	if !strings.Contains(logged.String(), "rest:https://user:***@host/repo/") {
		t.Errorf("the log does not name the location masked:\n%s", logged.String())
	}

	// Invalid: an s3: location with a password and no bucket, a bad rest:
	// one, an sftp: one (which takes no passwords).
	bad := strings.NewReplacer("location: repo", "location: s3:https://user:"+pw+"@host/",
		"location: s3:http://127.0.0.1:9/bucket", "location: sftp://user:"+pw+"@host/repo",
		"repositories:\n", "repositories:\n  rest:\n    location: rest:https://user:"+pw+"@host:port/\n    password_file: pw\n").Replace(good)
	path, _ = writeConfig(t, bad)
	_, err = Load(path, env(""))
	if err == nil {
		t.Fatal("bad locations accepted")
	}
	shown = append(shown, err.Error())
	for i, s := range shown {
		if strings.Contains(s, pw) {
			t.Errorf("output %d shows the password:\n%s", i, s)
		}
	}
}
