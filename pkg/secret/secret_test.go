package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/drydock-backup/drydock/pkg/secret"
)

const plain = "hunter2-Zq9"

// holder has secrets in exported and unexported fields: fmt calls no
// method of an unexported field, it prints what it finds.
type holder struct {
	Password secret.Value
	Location secret.URL
	token    secret.Value
	loc      secret.URL
}

func newHolder() holder {
	return holder{
		Password: secret.New(plain), Location: secret.NewURL("rest:https://user:" + plain + "@host/repo/"),
		token: secret.New(plain), loc: secret.NewURL("rest:https://user:" + plain + "@host/repo/"),
	}
}

// shown is every way drydock may show v: fmt verbs and flags, slog's text
// and JSON handlers (as an attribute and inside a struct), JSON and YAML.
func shown(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8q", "%#q", "%T"} {
		out[f] = fmt.Sprintf(f, v)
	}
	out["Sprint"], out["Sprintln"] = fmt.Sprint(v), fmt.Sprintln(v)
	out["Errorf %w"] = fmt.Errorf("open %v: %w", v, fmt.Errorf("inner %s", v)).Error()
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("msg", "v", v, "group", slog.GroupValue(slog.Any("v", v)))
		out[name] = b.String()
	}
	j, err := json.Marshal(v)
	out["json"] = string(j) + fmt.Sprint(err)
	y, err := yaml.Marshal(v)
	out["yaml"] = string(y) + fmt.Sprint(err)
	return out
}

func TestNothingShowsTheSecret(t *testing.T) {
	h := newHolder()
	for name, v := range map[string]any{
		"Value": h.Password, "*Value": &h.Password, "URL": h.Location, "*URL": &h.Location,
		"struct": h, "*struct": &h, "slice": []secret.Value{h.Password}, "map": map[string]secret.URL{"r": h.Location},
	} {
		for how, s := range shown(t, v) {
			if strings.Contains(s, plain) {
				t.Errorf("%s with %s shows the secret: %s", name, how, s)
			}
		}
	}
}

func TestValueShowsMask(t *testing.T) {
	v := secret.New(plain)
	for f, want := range map[string]string{
		"%v": "***", "%+v": "***", "%#v": "***", "%s": "***", "%q": `"***"`, "%x": "***", "%X": "***",
		"%5s": "  ***", "%-5s|": "***  |",
	} {
		if got := fmt.Sprintf(f, v); got != want {
			t.Errorf("Sprintf(%q) = %q, want %q", f, got, want)
		}
	}
	if v.String() != "***" || v.Reveal() != plain || v.IsZero() {
		t.Errorf("String %q, Reveal %q, IsZero %v", v.String(), v.Reveal(), v.IsZero())
	}
	var zero secret.Value
	if zero.String() != "" || fmt.Sprintf("%q", zero) != `""` || !zero.IsZero() || !secret.New("").IsZero() {
		t.Errorf("the zero Value shows %q", zero.String())
	}
	for how, s := range shown(t, v) {
		if how != "%T" && !strings.Contains(s, "***") {
			t.Errorf("%s shows no mask: %s", how, s)
		}
	}
}

func TestURLShowsItWithoutPassword(t *testing.T) {
	u := secret.NewURL("rest:https://user:" + plain + "@host:8000/repo/")
	const want = "rest:https://user:***@host:8000/repo/"
	for f, w := range map[string]string{"%v": want, "%+v": want, "%#v": want, "%s": want, "%q": `"` + want + `"`, "%x": want} {
		if got := fmt.Sprintf(f, u); got != w {
			t.Errorf("Sprintf(%q) = %q, want %q", f, got, w)
		}
	}
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("open", "location", u)
	if !strings.Contains(b.String(), `"location":"`+want+`"`) {
		t.Errorf("slog JSON: %s", b.String())
	}
	if u.Reveal() != "rest:https://user:"+plain+"@host:8000/repo/" {
		t.Errorf("Reveal = %q", u.Reveal())
	}
}

// TestURLRedaction: which part of a location is the password, also in
// malformed URLs.
func TestURLRedaction(t *testing.T) {
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
		"":                                       "",
	} {
		if got := secret.NewURL(in).String(); got != want {
			t.Errorf("NewURL(%q).String() = %q, want %q", in, got, want)
		}
	}
}

// TestDecode: a configuration holds secrets in plain text; YAML and JSON
// decode them so.
func TestDecode(t *testing.T) {
	var c struct {
		Password secret.Value `yaml:"password" json:"password"`
		Location secret.URL   `yaml:"location" json:"location"`
		Number   secret.Value `yaml:"number"`
		Unset    secret.Value `yaml:"unset" json:"unset"`
	}
	doc := "password: " + plain + "\nlocation: rest:https://u:" + plain + "@h/\nnumber: 12345\nunset:\n"
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	if c.Password.Reveal() != plain || c.Location.Reveal() != "rest:https://u:"+plain+"@h/" || c.Number.Reveal() != "12345" || !c.Unset.IsZero() {
		t.Errorf("YAML decoded %q %q %q %v", c.Password.Reveal(), c.Location.Reveal(), c.Number.Reveal(), c.Unset.IsZero())
	}
	c.Password = secret.Value{}
	if err := json.Unmarshal([]byte(`{"password":"`+plain+`"}`), &c); err != nil || c.Password.Reveal() != plain {
		t.Errorf("JSON decoded %q, %v", c.Password.Reveal(), err)
	}
}
