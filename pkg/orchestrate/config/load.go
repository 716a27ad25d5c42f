package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/secret"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultListen is where the daemon serves /metrics, /healthz and /status
// unless configured otherwise: loopback only.
const DefaultListen = "127.0.0.1:9867"

// DefaultConsoleTokenFile is the console's token file, in the state
// directory.
const DefaultConsoleTokenFile = "console-token"

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML is the embedded default configuration, for `drydock config
// default` to print as a starting point.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Load reads and validates the configuration at path. getenv supplies
// $STATE_DIRECTORY, $XDG_STATE_HOME and $HOME for the default state_dir.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path, getenv)
}

// Default returns the embedded default configuration.
func Default(getenv func(string) string) (*Config, error) {
	return Parse(defaultYAML, "", getenv)
}

// Parse decodes data strictly (unknown keys are errors), fills in
// defaults and validates the result. file names data in messages.
func Parse(data []byte, file string, getenv func(string) string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, decodeError(file, err) // not YAML at all: nothing more to say
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// Unknown keys and wrong types (yaml.TypeError) leave the rest decoded:
	// validate that too, so that one run of config check names every
	// problem of the file, not only the first.
	var typeErr *yaml.TypeError
	decErr := dec.Decode(&c)
	if decErr != nil && !errors.Is(decErr, io.EOF) && !errors.As(decErr, &typeErr) {
		return nil, decodeError(file, decErr)
	}
	c.File = file
	c.lines = map[string]int{}
	indexLines(&root, "", c.lines)
	if err := c.applyDefaults(getenv); err != nil {
		return nil, err
	}
	var errs []error
	if typeErr != nil {
		errs = append(errs, decodeError(file, typeErr))
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, c.withoutEchoes(err, typeErr))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// withoutEchoes drops the validation problems of keys whose value (or a
// value below them) could not be decoded: it was left zero, and "missing"
// or "would remove every snapshot" would only repeat the decoding problem.
func (c *Config) withoutEchoes(err error, typeErr *yaml.TypeError) error {
	if typeErr == nil {
		return err
	}
	badLines := map[int]bool{}
	for _, e := range decodeError(c.File, typeErr).(interface{ Unwrap() []error }).Unwrap() {
		badLines[e.(*Error).Line] = true
	}
	var badKeys []string
	for key, line := range c.lines {
		if badLines[line] {
			badKeys = append(badKeys, key)
		}
	}
	echoes := func(e *Error) bool {
		return slices.ContainsFunc(badKeys, func(k string) bool { return k == e.Key || strings.HasPrefix(k, e.Key+".") })
	}
	var keep []error
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if ce, ok := e.(*Error); !ok || !echoes(ce) {
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// decodeError turns yaml's messages into "file:line: problem" lines.
func decodeError(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		line := 0
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			line, _ = strconv.Atoi(sub[1])
			m = sub[2]
		}
		if sub := unknownField.FindStringSubmatch(m); sub != nil {
			m = fmt.Sprintf("unknown key %q", sub[1])
		}
		errs = append(errs, &Error{File: file, Line: line, Msg: m})
	}
	return errors.Join(errs...)
}

// indexLines records the line of every key below n under its dotted path
// ("jobs.nightly.schedule", "notify.0.url").
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, path, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			lines[p] = n.Content[i].Line
			indexLines(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := join(path, strconv.Itoa(i))
			lines[p] = c.Line
			indexLines(c, p, lines)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Line returns the line of a dotted key path, or of its nearest ancestor
// that is in the file; 0 if none is.
func (c *Config) Line(path string) int {
	for path != "" {
		if l, ok := c.lines[path]; ok {
			return l
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// DefaultStateDir is systemd's $STATE_DIRECTORY, else
// $XDG_STATE_HOME/drydock, else /var/lib/drydock for root, else
// ~/.local/state/drydock: the same directory `drydock volumes` uses, so
// that the daemon and the CLI share one stop journal.
func DefaultStateDir(getenv func(string) string) (string, error) {
	if d := getenv("STATE_DIRECTORY"); d != "" {
		// systemd may list several, separated by colons; ours is first.
		return strings.SplitN(d, ":", 2)[0], nil
	}
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "drydock"), nil
	}
	if os.Geteuid() == 0 {
		return "/var/lib/drydock", nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no state directory: set state_dir: %w", err)
		}
	}
	return filepath.Join(home, ".local", "state", "drydock"), nil
}

// EnvMinInterval, if set to a duration, replaces the minute a schedule's
// runs must at least be apart: tests run jobs every second.
const EnvMinInterval = "DRYDOCK_MIN_SCHEDULE_INTERVAL"

func (c *Config) applyDefaults(getenv func(string) string) error {
	c.minInterval = time.Minute
	if v := getenv(EnvMinInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return &Error{File: c.File, Line: 1, Key: EnvMinInterval, Msg: fmt.Sprintf("bad duration %q: %v", v, err)}
		}
		c.minInterval = d
	}
	if c.StateDir == "" {
		d, err := DefaultStateDir(getenv)
		if err != nil {
			return &Error{File: c.File, Line: 1, Key: "state_dir", Msg: err.Error()}
		}
		c.StateDir = d
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	for _, r := range c.Repositories {
		if r == nil {
			continue
		}
		if dir, ok := location.LocalDir(r.Location); ok {
			r.Location = secret.NewURL(c.resolve(dir))
		}
		r.PasswordFile = c.resolve(r.PasswordFile)
		if r.S3 != nil {
			r.S3.AccessKeyIDFile = c.resolve(r.S3.AccessKeyIDFile)
			r.S3.SecretAccessKeyFile = c.resolve(r.S3.SecretAccessKeyFile)
		}
	}
	if c.Console.TokenFile == "" {
		c.Console.TokenFile = DefaultConsoleTokenFile
	}
	c.Console.TokenFile = c.resolve(c.Console.TokenFile)
	c.Console.TLSCertFile = c.resolve(c.Console.TLSCertFile)
	c.Console.TLSKeyFile = c.resolve(c.Console.TLSKeyFile)
	for _, n := range c.Notify {
		if n == nil {
			continue
		}
		n.URLFile = c.resolve(n.URLFile)
		if len(n.On) == 0 {
			n.On = []string{EventFailure, EventWarning}
		}
	}
	return nil
}

// resolve makes a relative path relative to the state directory.
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.StateDir, p)
}
