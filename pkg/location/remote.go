package location

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/rclone"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
	"github.com/drydock-backup/drydock/pkg/backend/sftp"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// Environment variables for SFTP repositories in containers and under the
// daemon, where there is no ~/.ssh: files, as secrets are mounted.
const (
	EnvSFTPKeyFile        = "DRYDOCK_SFTP_KEY_FILE"
	EnvSFTPKnownHostsFile = "DRYDOCK_SFTP_KNOWN_HOSTS_FILE"
)

// extendedOptions are the -o keys drydock knows, as restic names them.
var extendedOptions = []string{"sftp.command", "sftp.args", "sftp.connections", "rest.connections", "rclone.program", "rclone.args", "rclone.connections", "s3.object-lock"}

// CheckOptions refuses -o keys drydock does not know, options meant for
// another kind of repository and malformed values, instead of ignoring
// them.
func CheckOptions(location secret.URL, ext map[string]string) error {
	if err := checkExtended(location, ext); err != nil {
		return err
	}
	for _, k := range []string{"sftp.connections", "rest.connections", "rclone.connections"} {
		if _, err := connections(ext, k); err != nil {
			return err
		}
	}
	if _, err := objectLock(ext); err != nil {
		return err
	}
	return nil
}

// objectLock parses -o s3.object-lock=MODE:DURATION; none gives the zero
// value.
func objectLock(ext map[string]string) (backend.ObjectLock, error) {
	v, ok := ext["s3.object-lock"]
	if !ok {
		return backend.ObjectLock{}, nil
	}
	o, err := backend.ParseObjectLock(v)
	if err != nil {
		return o, fmt.Errorf("option -o s3.object-lock: %w", err)
	}
	return o, nil
}

func checkExtended(location secret.URL, ext map[string]string) error {
	for k := range ext {
		if !slices.Contains(extendedOptions, k) {
			return fmt.Errorf("unknown option -o %s (known: %s)", k, strings.Join(extendedOptions, ", "))
		}
		kind, _, _ := strings.Cut(k, ".")
		if !hasScheme(location, kind) {
			return fmt.Errorf("option -o %s is for %s: repositories", k, kind)
		}
	}
	return nil
}

func connections(ext map[string]string, key string) (int, error) {
	v, ok := ext[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("option -o %s=%s: want a number of connections >= 1", key, v)
	}
	return n, nil
}

// sftpConfig builds an SFTP backend's configuration from the location,
// the -o options and the environment.
func sftpConfig(location secret.URL, opts Options) (sftp.Config, error) {
	cfg, err := sftp.ParseLocation(location)
	if err != nil {
		return cfg, err
	}
	cfg.Command, cfg.Args = opts.Extended["sftp.command"], opts.Extended["sftp.args"]
	if cfg.Connections, err = connections(opts.Extended, "sftp.connections"); err != nil {
		return cfg, err
	}
	if opts.Getenv != nil {
		cfg.KeyFile, cfg.KnownHostsFile = opts.Getenv(EnvSFTPKeyFile), opts.Getenv(EnvSFTPKnownHostsFile)
	}
	cfg.Logger = opts.Logger
	return cfg, nil
}

// restConfig builds a REST backend's configuration from the location, the
// options and the environment (restic's RESTIC_REST_USERNAME/PASSWORD,
// RESTIC_CACERT, RESTIC_TLS_CLIENT_CERT).
func restConfig(location secret.URL, opts Options) (rest.Config, error) {
	cfg, err := rest.ParseLocation(location)
	if err != nil {
		return cfg, err
	}
	if cfg.Connections, err = connections(opts.Extended, "rest.connections"); err != nil {
		return cfg, err
	}
	t := tlsOptions(opts)
	cfg.CACert, cfg.ClientCert, cfg.InsecureTLS = t.CACerts, t.ClientCert, t.Insecure
	if opts.Getenv != nil {
		cfg.ApplyEnv(opts.Getenv)
	}
	cfg.Logger = opts.Logger
	return cfg, nil
}

// tlsOptions are the TLS flags, with RESTIC_CACERT and
// RESTIC_TLS_CLIENT_CERT where no flag was given, as restic reads them.
func tlsOptions(opts Options) backend.TLSOptions {
	t := backend.TLSOptions{CACerts: opts.CACerts, ClientCert: opts.ClientCert, Insecure: opts.InsecureTLS}
	if opts.Getenv == nil {
		return t
	}
	if len(t.CACerts) == 0 && opts.Getenv("RESTIC_CACERT") != "" {
		t.CACerts = strings.Split(opts.Getenv("RESTIC_CACERT"), ",")
	}
	if t.ClientCert == "" {
		t.ClientCert = opts.Getenv("RESTIC_TLS_CLIENT_CERT")
	}
	return t
}

// rcloneConfig builds an rclone backend's configuration from the location
// and the -o options.
func rcloneConfig(location secret.URL, opts Options) (rclone.Config, error) {
	cfg, err := rclone.ParseLocation(location.Reveal())
	if err != nil {
		return cfg, err
	}
	cfg.Program, cfg.Args = opts.Extended["rclone.program"], opts.Extended["rclone.args"]
	if cfg.Connections, err = connections(opts.Extended, "rclone.connections"); err != nil {
		return cfg, err
	}
	cfg.Logger = opts.Logger
	return cfg, nil
}

// openRemote opens an sftp:, rest: or rclone: repository; ok is false for
// other locations.
func openRemote(ctx context.Context, location secret.URL, opts Options) (be backend.Backend, ok bool, err error) {
	switch {
	case hasScheme(location, "sftp"):
		cfg, err := sftpConfig(location, opts)
		if err != nil {
			return nil, true, err
		}
		if opts.Create {
			be, err = sftp.Create(ctx, cfg)
		} else {
			be, err = sftp.Open(ctx, cfg)
		}
		return be, true, err
	case hasScheme(location, "rest"):
		cfg, err := restConfig(location, opts)
		if err != nil {
			return nil, true, err
		}
		if opts.Create {
			be, err = rest.Create(ctx, cfg)
		} else {
			be, err = rest.Open(ctx, cfg)
		}
		return be, true, err
	case hasScheme(location, "rclone"):
		cfg, err := rcloneConfig(location, opts)
		if err != nil {
			return nil, true, err
		}
		if opts.Create {
			be, err = rclone.Create(ctx, cfg)
		} else {
			be, err = rclone.Open(ctx, cfg)
		}
		return be, true, err
	}
	return nil, false, nil
}
