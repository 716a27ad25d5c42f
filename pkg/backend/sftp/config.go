package sftp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/drydock-backup/drydock/pkg/secret"
)

// Config describes where an SFTP repository lives and how ssh reaches it.
// The zero value of each optional field means the default.
type Config struct {
	// User is the login name ("" lets ssh choose: ssh config, then the
	// local user). Host is a host name, address or ssh config alias; Port
	// is "" for ssh's default.
	User, Host, Port string
	// Path is the repository directory on the server, cleaned; relative
	// paths are relative to the login directory.
	Path string

	// Command replaces the whole ssh command line (restic's
	// -o sftp.command), split like a shell would; it must start an SFTP
	// session on its standard input and output. It cannot be combined
	// with Args, KeyFile or KnownHostsFile, and drydock adds nothing to it.
	Command string
	// Args are extra ssh arguments (restic's -o sftp.args), split like a
	// shell would, placed before the host name.
	Args string
	// Connections bounds concurrent requests over the one ssh connection
	// (restic's -o sftp.connections). Default 5.
	Connections int
	// KeyFile is a private key file for ssh -i, used alone
	// (IdentitiesOnly=yes): for containers and the daemon, where no agent
	// or ~/.ssh exists.
	KeyFile string
	// KnownHostsFile replaces ~/.ssh/known_hosts (UserKnownHostsFile).
	KnownHostsFile string

	// Logger receives debug messages (connects, reconnects); default
	// discards.
	Logger *slog.Logger
}

// defaultConnections is restic's default for sftp.connections.
const defaultConnections = 5

// ParseLocation parses a repository location in restic's SFTP forms:
//
//	sftp:[USER@]HOST:PATH                   PATH relative to the login directory,
//	                                        or absolute if it starts with "/"
//	sftp:[USER@][IPV6]:PATH                 an IPv6 address in brackets
//	sftp://[USER@]HOST[:PORT]/RELATIVE/PATH
//	sftp://[USER@]HOST[:PORT]//ABSOLUTE/PATH
//
// The path is cleaned; one starting with "~" is refused (SFTP servers do
// not expand it; a relative path already starts at the login directory).
func ParseLocation(loc secret.URL) (Config, error) {
	s := loc.Reveal()
	var cfg Config
	var err error
	switch {
	case strings.HasPrefix(s, "sftp://"):
		cfg, err = parseURLForm(s)
	case strings.HasPrefix(s, "sftp:"):
		cfg, err = parseSCPForm(strings.TrimPrefix(s, "sftp:"))
	default:
		err = errors.New(`does not start with "sftp:"`)
	}
	if err != nil {
		return Config{}, fmt.Errorf("parse SFTP location %q: %w", loc, err)
	}
	if err := cfg.validateLocation(); err != nil {
		return Config{}, fmt.Errorf("parse SFTP location %q: %w", loc, err)
	}
	return cfg, nil
}

// parseURLForm parses "sftp://[user@]host[:port]/path"; the first slash
// after the host separates, so "//abs" is absolute.
func parseURLForm(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, err
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return Config{}, errors.New("want sftp://[USER@]HOST[:PORT]/PATH")
	}
	if _, set := u.User.Password(); set {
		return Config{}, errors.New("passwords in SFTP locations are not supported; use a key (ssh agent or KeyFile)")
	}
	if u.Path == "" {
		return Config{}, errors.New("no directory (want sftp://HOST/RELATIVE or sftp://HOST//ABSOLUTE)")
	}
	return Config{User: u.User.Username(), Host: u.Hostname(), Port: u.Port(), Path: cleanPath(u.Path[1:])}, nil
}

// parseSCPForm parses "[user@]host:path" (scp's syntax). The host ends at
// the first colon, except inside brackets; the user at the last "@" before
// the host, so user names may contain "@".
func parseSCPForm(s string) (Config, error) {
	var cfg Config
	if i := strings.Index(s, "@["); i >= 0 || strings.HasPrefix(s, "[") {
		if i >= 0 {
			cfg.User, s = s[:i], s[i+1:]
		}
		end := strings.Index(s, "]:")
		if end < 0 {
			return Config{}, errors.New("IPv6 address without \"]:\" after it")
		}
		cfg.Host, cfg.Path = s[1:end], cleanPath(s[end+2:])
		return cfg, nil
	}
	hostPart, dir, ok := strings.Cut(s, ":")
	if !ok {
		return Config{}, errors.New("no \":\" between host and path (want sftp:[USER@]HOST:PATH)")
	}
	if i := strings.LastIndex(hostPart, "@"); i >= 0 {
		cfg.User, hostPart = hostPart[:i], hostPart[i+1:]
	}
	cfg.Host, cfg.Path = hostPart, cleanPath(dir)
	return cfg, nil
}

// cleanPath cleans a slash path; "" becomes "." (the login directory).
func cleanPath(p string) string { return path.Clean(p) }

func (c Config) validateLocation() error {
	switch {
	case c.Host == "":
		return errors.New("no host")
	case strings.HasPrefix(c.Host, "-"), strings.HasPrefix(c.User, "-"):
		// ssh would read it as an option.
		return errors.New("host and user must not start with \"-\"")
	case strings.ContainsAny(c.Host+c.User, " \t\r\n"):
		return errors.New("host and user must not contain white space")
	case strings.HasPrefix(c.Path, "~"):
		return errors.New("the path starts with \"~\", which SFTP servers do not expand; give it relative to the login directory instead")
	}
	return nil
}

// String returns the location in restic's syntax: sftp:USER@HOST:PATH, or
// sftp://USER@HOST:PORT/PATH when a port is set.
func (c Config) String() string {
	user := ""
	if c.User != "" {
		user = c.User + "@"
	}
	if c.Port == "" {
		host := c.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		return "sftp:" + user + host + ":" + c.Path
	}
	return "sftp://" + user + net.JoinHostPort(c.Host, c.Port) + "/" + c.Path
}

// command returns the program and arguments that start the SFTP session.
func (c Config) command() (string, []string, error) {
	if c.Command != "" {
		if c.Args != "" || c.KeyFile != "" || c.KnownHostsFile != "" {
			return "", nil, errors.New("sftp.command replaces the whole ssh command: put extra arguments, the key file and the known_hosts file into it instead of sftp.args, KeyFile and KnownHostsFile")
		}
		words, err := splitShellWords(c.Command)
		if err != nil {
			return "", nil, fmt.Errorf("sftp.command: %w", err)
		}
		if len(words) == 0 {
			return "", nil, errors.New("sftp.command is empty")
		}
		return words[0], words[1:], nil
	}
	if err := c.validateLocation(); err != nil {
		return "", nil, err
	}
	// ssh keeps the first value given for an option, so these come before
	// anything the user adds and cannot be weakened by sftp.args.
	args := []string{"-o", "StrictHostKeyChecking=yes"}
	if c.KnownHostsFile != "" {
		f, err := sshFileName(c.KnownHostsFile, true)
		if err != nil {
			return "", nil, fmt.Errorf("known_hosts file: %w", err)
		}
		args = append(args, "-o", "UserKnownHostsFile="+f)
	}
	if c.KeyFile != "" {
		f, err := sshFileName(c.KeyFile, false)
		if err != nil {
			return "", nil, fmt.Errorf("key file: %w", err)
		}
		args = append(args, "-i", f, "-o", "IdentitiesOnly=yes")
	}
	if c.Port != "" {
		args = append(args, "-p", c.Port)
	}
	if c.User != "" {
		args = append(args, "-l", c.User)
	}
	if c.Args != "" {
		extra, err := splitShellWords(c.Args)
		if err != nil {
			return "", nil, fmt.Errorf("sftp.args: %w", err)
		}
		args = append(args, extra...)
	}
	return "ssh", append(args, c.Host, "-s", "sftp"), nil
}

// sshFileName escapes a file name for ssh: ssh expands "%" tokens in key
// and known_hosts file names (so a literal "%" is doubled), and splits an
// -o option's value at white space (so for options, such names are
// quoted; -i takes its argument as is).
func sshFileName(name string, option bool) (string, error) {
	if strings.ContainsAny(name, "\"\\\r\n") {
		return "", fmt.Errorf("%q: quotes, backslashes and line breaks are not supported in the file name", name)
	}
	name = strings.ReplaceAll(name, "%", "%%")
	if option && strings.ContainsAny(name, " \t") {
		name = `"` + name + `"`
	}
	return name, nil
}
