package secret

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// URL is a repository location or a URL that may hold a password as
// "scheme://user:password@host/" (rest:https://user:pw@host/repo). It
// shows with the password replaced by Mask ("rest:https://user:***@host/
// repo"), as restic prints locations; anything else shows as it is.
type URL struct{ p *string }

// NewURL returns s as a URL; NewURL("") is the zero URL.
func NewURL(s string) URL {
	if s == "" {
		return URL{}
	}
	return URL{&s}
}

// Reveal returns the URL with its password.
func (u URL) Reveal() string {
	if u.p == nil {
		return ""
	}
	return *u.p
}

// IsZero reports whether u is empty.
func (u URL) IsZero() bool { return u.p == nil }

// String returns the URL with its password masked.
func (u URL) String() string { return redactURL(u.Reveal()) }

// Format prints String for every verb, as Value.Format does.
func (u URL) Format(f fmt.State, verb rune) { format(f, verb, u.String()) }

// LogValue logs String.
func (u URL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// MarshalText writes String, as Value.MarshalText does.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText takes the plain text, as a configuration file holds it.
func (u *URL) UnmarshalText(b []byte) error {
	*u = NewURL(string(b))
	return nil
}

// redactURL masks the password of s's "scheme://" part, if any. If the
// URL is malformed (say, a password with an unescaped "/" or "?"),
// everything up to the last "@" is taken as user info: a password is
// never shown, at worst too much is hidden.
func redactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	start := i + len("://")
	rest := s[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 && !wellFormed(s[strings.LastIndex(s[:i], ":")+1:]) {
		at = strings.LastIndex(rest, "@")
	}
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return s[:start] + user + ":" + Mask + rest[at:]
}

// wellFormed reports whether s parses as a URL with a usable host.
func wellFormed(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && !strings.Contains(u.Host, "@")
}
