package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drydock-backup/drydock/pkg/secret"
)

// Config is a whole configuration file.
type Config struct {
	// StateDir holds the stop journal, the default repository and its
	// password; relative paths elsewhere are resolved against it.
	StateDir string `yaml:"state_dir"`
	// Listen is the address of /metrics, /healthz and /status; "off"
	// disables the endpoint.
	Listen string `yaml:"listen"`
	// Host is the host name recorded in snapshots.
	Host string `yaml:"host"`
	// LogLevel is debug, info, warn or error.
	LogLevel     string                 `yaml:"log_level"`
	Repositories map[string]*Repository `yaml:"repositories"`
	Jobs         map[string]*Job        `yaml:"jobs"`
	Notify       []*Notify              `yaml:"notify"`
	// Console is the web console served at / of Listen.
	Console Console `yaml:"console"`

	// File is where the configuration was read from ("" for the default).
	File string `yaml:"-"`
	// lines maps dotted key paths to their line in File.
	lines map[string]int
	// minInterval is the shortest time allowed between two runs of a
	// schedule: a minute, or $DRYDOCK_MIN_SCHEDULE_INTERVAL (for tests).
	minInterval time.Duration
}

// Repository is one restic repository.
type Repository struct {
	// Location is a local path, s3:URL, sftp:[USER@]HOST:PATH or
	// rest:URL, as restic's -r; a rest: URL may hold a password.
	Location     secret.URL `yaml:"location"`
	PasswordFile string     `yaml:"password_file"`
	// Init creates the repository on first use, and a random password
	// file if it is missing too.
	Init        bool     `yaml:"init"`
	Compression string   `yaml:"compression"`
	S3          *S3      `yaml:"s3"`
	LockWait    Duration `yaml:"lock_wait"`
	RetryMax    Duration `yaml:"retry_max"`
	// Options are restic's -o options: sftp.command, sftp.args,
	// sftp.connections, rest.connections.
	Options map[string]string `yaml:"options"`
	SFTP    *SFTP             `yaml:"sftp"`
	REST    *REST             `yaml:"rest"`
}

// SFTP holds the files ssh needs where there is no ~/.ssh (a container,
// the daemon): a private key and the server's host key. Host keys are
// always verified.
type SFTP struct {
	KeyFile        string `yaml:"key_file"`
	KnownHostsFile string `yaml:"known_hosts_file"`
}

// REST holds the TLS files of a rest: repository over https.
type REST struct {
	CACert        []string `yaml:"cacert"`
	TLSClientCert string   `yaml:"tls_client_cert"`
}

// S3 holds credentials for an S3 repository. Secrets are only read from
// files (or the environment), never written in the configuration.
type S3 struct {
	AccessKeyID         string `yaml:"access_key_id"`
	AccessKeyIDFile     string `yaml:"access_key_id_file"`
	SecretAccessKeyFile string `yaml:"secret_access_key_file"`
	Region              string `yaml:"region"`
}

// Job is a scheduled backup with its retention and verification.
type Job struct {
	Repository string `yaml:"repository"`
	// Schedule is a cron expression: 5 fields, or 6 with seconds first.
	Schedule string `yaml:"schedule"`
	// Jitter delays each run by a random time up to this long, so that
	// many hosts do not hit one bucket at the same second.
	Jitter Duration `yaml:"jitter"`
	// Exactly one of Paths and Volumes says what is backed up.
	Paths   []string `yaml:"paths"`
	Exclude []string `yaml:"exclude"`
	// SkipIfUnchanged (paths jobs): no snapshot when nothing changed
	// since the job's last one, as restic's --skip-if-unchanged.
	SkipIfUnchanged bool       `yaml:"skip_if_unchanged"`
	Volumes         *Volumes   `yaml:"volumes"`
	Tags            []string   `yaml:"tags"`
	Retention       *Retention `yaml:"retention"`
	Verify          *Verify    `yaml:"verify"`
	// Copy lists other configured repositories that receive copies of
	// the job's snapshots.
	Copy []*Copy `yaml:"copy"`
}

// Copy is one destination of a job's copies: the job's snapshots that the
// destination lacks are copied there after each successful backup, or on
// Schedule, and then its own Retention (if any) is applied there. In YAML
// an item is either a repository name or a mapping:
//
//	copy: [offsite]
//	copy: [{repository: offsite, schedule: "0 5 * * *", retention: {keep_daily: 30}}]
type Copy struct {
	Repository string `yaml:"repository"`
	// Schedule, if set, runs the copy on its own cron schedule instead of
	// after each successful backup.
	Schedule  string     `yaml:"schedule"`
	Retention *Retention `yaml:"retention"`
}

// UnmarshalYAML accepts a bare repository name as well as the mapping.
// yaml's Node.Decode forgets the decoder's KnownFields, so unknown keys
// are looked for here, reported as the decoder reports its own.
func (c *Copy) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Repository = strings.TrimSpace(n.Value)
		return nil
	}
	if msgs := unknownKeys(n, reflect.TypeFor[Copy]()); len(msgs) > 0 {
		return &yaml.TypeError{Errors: msgs}
	}
	type plain Copy // without this method
	return n.Decode((*plain)(c))
}

// unknownKeys lists, in yaml's words, the keys of mapping n (and of the
// mappings below it) that struct type t has no field for.
func unknownKeys(n *yaml.Node, t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		fields[name] = f.Type
	}
	var msgs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ft, ok := fields[k.Value]
		if !ok {
			msgs = append(msgs, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t))
			continue
		}
		msgs = append(msgs, unknownKeys(n.Content[i+1], ft)...)
	}
	return msgs
}

// Volumes selects Docker volumes by drydock's labels.
type Volumes struct {
	// Select names apps, groups or volumes; empty means every volume
	// labelled for backup.
	Select       []string `yaml:"select"`
	IncludeBinds bool     `yaml:"include_binds"`
	MaxDowntime  Duration `yaml:"max_downtime"`
}

// Retention is restic's forget policy applied to the job's own snapshots
// after each backup, followed by a prune when snapshots were removed.
type Retention struct {
	KeepLast    int      `yaml:"keep_last"`
	KeepHourly  int      `yaml:"keep_hourly"`
	KeepDaily   int      `yaml:"keep_daily"`
	KeepWeekly  int      `yaml:"keep_weekly"`
	KeepMonthly int      `yaml:"keep_monthly"`
	KeepYearly  int      `yaml:"keep_yearly"`
	KeepWithin  string   `yaml:"keep_within"`
	KeepTag     []string `yaml:"keep_tag"`
	// Prune defaults to true.
	Prune *bool `yaml:"prune"`
	// MaxUnused is prune's --max-unused (default 5%).
	MaxUnused string `yaml:"max_unused"`
}

// PruneEnabled tells whether forget is followed by prune.
func (r *Retention) PruneEnabled() bool { return r.Prune == nil || *r.Prune }

// Verify checks the repository and test-restores the job's snapshots.
type Verify struct {
	Schedule string `yaml:"schedule"`
	// ReadDataSubset is check's --read-data-subset ("5%", "1/10"); empty
	// reads no pack data.
	ReadDataSubset string `yaml:"read_data_subset"`
	// RestoreTest restores the job's latest snapshots into a scratch
	// directory and compares them with their content hashes.
	RestoreTest bool `yaml:"restore_test"`
	// Boot runs a restore drill of each app of a volumes job: its latest
	// snapshot booted as copies on scratch volumes (drydock verify --app
	// --boot).
	Boot bool `yaml:"boot"`
	// BootTimeout bounds each drill's boot and checks (default 5m).
	BootTimeout Duration `yaml:"boot_timeout"`
}

// Notify is one notification target (a shoutrrr URL: generic webhooks,
// ntfy, and many chat services).
type Notify struct {
	URL secret.Value `yaml:"url"`
	// URLFile holds the URL, for URLs that carry tokens.
	URLFile string `yaml:"url_file"`
	// On lists the events sent: failure, warning (a run that succeeded
	// with warnings) and success. Default: failure and warning.
	On []string `yaml:"on"`
}

// Duration is a time.Duration written as "90s", "15m", "2h".
type Duration time.Duration

// UnmarshalYAML parses a Go duration; the error carries the line, which
// yaml does not add to errors of custom decoders.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 90s, 15m, 2h", n.Line)
	}
	if s == "" || s == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: bad duration %q (use e.g. 90s, 15m, 2h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Console configures the web console the daemon serves at / of its
// listener, beside /metrics, /healthz and /status (which stay open).
type Console struct {
	// Enabled defaults to true; false serves only the three endpoints.
	Enabled *bool `yaml:"enabled"`
	// TokenFile holds the token that logs in; created (0600, 256 random
	// bits) if missing. Default console-token in the state directory.
	TokenFile string `yaml:"token_file"`
	// TLSCertFile and TLSKeyFile make the listener HTTPS, which a
	// listener other hosts can reach needs (the endpoints too are then
	// served over HTTPS).
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// PlainHTTP allows plain HTTP on a non-loopback listener, for a
	// TLS-terminating proxy in front.
	PlainHTTP bool `yaml:"plain_http"`
}

// On says whether the console is served.
func (c Console) On() bool { return c.Enabled == nil || *c.Enabled }
