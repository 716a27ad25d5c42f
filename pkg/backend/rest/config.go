package rest

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// Config describes where a REST repository lives and how to reach it. The
// zero value of each optional field means the default.
type Config struct {
	// URL is the repository's http or https URL, without user info.
	// ParseLocation makes its path end in "/".
	URL *url.URL
	// Auth is sent as basic auth; nil sends none.
	Auth *BasicAuth
	// CACert names PEM files with the root certificates to trust for
	// https (restic's --cacert); they replace the system's roots.
	CACert []string
	// ClientCert names one PEM file holding a client certificate and its
	// private key (restic's --tls-client-cert).
	ClientCert string
	// InsecureTLS skips verifying the server's certificate (restic's
	// --insecure-tls).
	InsecureTLS bool
	// Connections bounds concurrent requests (restic's
	// -o rest.connections); saving lock files does not wait for a slot.
	// Default 5.
	Connections int
	// Transport replaces the HTTP transport (tests); CACert and
	// ClientCert are then ignored.
	Transport http.RoundTripper
	// Logger receives debug messages; default discards.
	Logger *slog.Logger
	// Name replaces the URL in messages, for a server reached another
	// way than its URL says (rclone over a pipe).
	Name string
}

// BasicAuth is the user and password of a repository URL (or of restic's
// RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD).
type BasicAuth struct {
	User     string
	Password secret.Value
}

// defaultConnections is restic's default for rest.connections.
const defaultConnections = 5

// ParseLocation parses "rest:http://[USER:PASSWORD@]HOST[:PORT]/PATH" or
// the same with https, as restic does; the user info becomes Auth. Errors
// name the location with the password masked.
func ParseLocation(loc secret.URL) (Config, error) {
	raw, ok := strings.CutPrefix(loc.Reveal(), "rest:")
	if !ok {
		return Config{}, fmt.Errorf("parse REST location %q: does not start with \"rest:\"", loc)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input; say what is wrong without it.
		return Config{}, fmt.Errorf("parse REST location %q: not a valid URL", loc)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Config{}, fmt.Errorf("parse REST location %q: want http:// or https://", loc)
	}
	if u.Host == "" || u.Opaque != "" {
		return Config{}, fmt.Errorf("parse REST location %q: no host", loc)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Config{}, fmt.Errorf("parse REST location %q: query or fragment not supported", loc)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u = u.JoinPath("/")
	}
	var auth *BasicAuth
	if u.User != nil {
		pass, _ := u.User.Password()
		auth = &BasicAuth{User: u.User.Username(), Password: secret.New(pass)}
		u.User = nil
	}
	return Config{URL: u, Auth: auth}, nil
}

// ApplyEnv fills the credentials from RESTIC_REST_USERNAME and
// RESTIC_REST_PASSWORD (restic's variables), read through getenv, when the
// URL carries none.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if c.URL == nil || c.Auth != nil {
		return
	}
	user, pass := getenv("RESTIC_REST_USERNAME"), getenv("RESTIC_REST_PASSWORD")
	if user != "" || pass != "" {
		c.Auth = &BasicAuth{User: user, Password: secret.New(pass)}
	}
}

// String returns the location, with the password replaced by "***".
func (c Config) String() string {
	if c.Name != "" {
		return c.Name
	}
	if c.URL == nil {
		return "rest:"
	}
	u := *c.URL
	if a := c.Auth; a != nil {
		u.User = url.User(a.User)
		if !a.Password.IsZero() {
			// A stand-in, which secret.URL masks: url escapes a "***".
			u.User = url.UserPassword(a.User, "x")
		}
	}
	return secret.NewURL("rest:" + u.String()).String()
}

// GoString redacts like String, for %#v.
func (c Config) GoString() string { return fmt.Sprintf("rest.Config{%q}", c.String()) }

// LogValue redacts like String, for slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// transport builds the HTTP transport: net/http's defaults (proxy from the
// environment, HTTP/2), a 10 s dial timeout so that a dead server fails
// fast (the retry layer decides about retrying), and the TLS settings.
func (c Config) transport() (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.MaxIdleConnsPerHost = c.Connections + 2
	tlsCfg, err := backend.TLSOptions{CACerts: c.CACert, ClientCert: c.ClientCert, Insecure: c.InsecureTLS}.Config()
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tlsCfg
	return tr, nil
}
