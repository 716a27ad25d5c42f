package rest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config describes where a REST repository lives and how to reach it. The
// zero value of each optional field means the default.
type Config struct {
	// URL is the repository's http or https URL; its user info, if any,
	// is sent as basic auth. ParseLocation makes its path end in "/".
	URL *url.URL
	// CACert names PEM files with the root certificates to trust for
	// https (restic's --cacert); they replace the system's roots.
	CACert []string
	// ClientCert names one PEM file holding a client certificate and its
	// private key (restic's --tls-client-cert).
	ClientCert string
	// Connections bounds concurrent requests (restic's
	// -o rest.connections); saving lock files does not wait for a slot.
	// Default 5.
	Connections int
	// Transport replaces the HTTP transport (tests); CACert and
	// ClientCert are then ignored.
	Transport http.RoundTripper
	// Logger receives debug messages; default discards.
	Logger *slog.Logger
}

// defaultConnections is restic's default for rest.connections.
const defaultConnections = 5

// ParseLocation parses "rest:http://[USER:PASSWORD@]HOST[:PORT]/PATH" or
// the same with https, as restic does. Errors name the location with the
// password redacted.
func ParseLocation(s string) (Config, error) {
	raw, ok := strings.CutPrefix(s, "rest:")
	if !ok {
		return Config{}, fmt.Errorf("parse REST location %q: does not start with \"rest:\"", Redact(s))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input; say what is wrong without it.
		return Config{}, fmt.Errorf("parse REST location %q: not a valid URL", Redact(s))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Config{}, fmt.Errorf("parse REST location %q: want http:// or https://", Redact(s))
	}
	if u.Host == "" || u.Opaque != "" {
		return Config{}, fmt.Errorf("parse REST location %q: no host", Redact(s))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Config{}, fmt.Errorf("parse REST location %q: query or fragment not supported", Redact(s))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u = u.JoinPath("/")
	}
	return Config{URL: u}, nil
}

// ApplyEnv fills the credentials from RESTIC_REST_USERNAME and
// RESTIC_REST_PASSWORD (restic's variables), read through getenv, when the
// URL carries none.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if c.URL == nil || c.URL.User != nil {
		return
	}
	user, pass := getenv("RESTIC_REST_USERNAME"), getenv("RESTIC_REST_PASSWORD")
	if user != "" || pass != "" {
		u := *c.URL
		u.User = url.UserPassword(user, pass)
		c.URL = &u
	}
}

// String returns the location with the password replaced by "***".
func (c Config) String() string {
	if c.URL == nil {
		return "rest:"
	}
	return Redact("rest:" + c.URL.String())
}

// GoString redacts like String, for %#v.
func (c Config) GoString() string { return fmt.Sprintf("rest.Config{%q}", c.String()) }

// LogValue redacts like String, for slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Redact returns location with the password of its URL replaced by "***"
// ("rest:https://user:***@host/repo"), as restic prints it. It works on
// any string with "scheme://". If the URL is malformed (say, a password
// with an unescaped "/" or "?"), everything up to the last "@" is taken as
// user info: a password is never shown, at worst too much is hidden.
func Redact(location string) string {
	i := strings.Index(location, "://")
	if i < 0 {
		return location
	}
	start := i + len("://")
	rest := location[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 && !wellFormed(location[strings.LastIndex(location[:i], ":")+1:]) {
		at = strings.LastIndex(rest, "@")
	}
	if at < 0 {
		return location
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return location
	}
	return location[:start] + user + ":***" + rest[at:]
}

// wellFormed reports whether s parses as a URL with a usable host.
func wellFormed(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && !strings.Contains(u.Host, "@")
}

// transport builds the HTTP transport: net/http's defaults (proxy from the
// environment, HTTP/2), a 10 s dial timeout so that a dead server fails
// fast (the retry layer decides about retrying), and the TLS settings.
func (c Config) transport() (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.MaxIdleConnsPerHost = c.Connections + 2
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(c.CACert) > 0 {
		pool := x509.NewCertPool()
		for _, f := range c.CACert {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("CA certificate: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA certificate %s: no PEM certificate in it", f)
			}
		}
		tlsCfg.RootCAs = pool
	}
	if c.ClientCert != "" {
		pem, err := os.ReadFile(c.ClientCert)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		// One file holds both: X509KeyPair takes the certificates from the
		// first argument and the first private key from the second.
		cert, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s (want certificate and private key in one PEM file): %w", c.ClientCert, err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = tlsCfg
	return tr, nil
}
