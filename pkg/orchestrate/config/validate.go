package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nicholas-fedor/shoutrrr"
	"github.com/robfig/cron/v3"

	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// Notification events.
const (
	EventFailure = "failure"
	EventSuccess = "success"
	// EventWarning is a run that succeeded with warnings: files it could
	// not read, or a container Docker had to kill at its stop timeout.
	EventWarning = "warning"
)

// Error is one problem in a configuration, with where it is.
type Error struct {
	File string
	Line int
	Key  string // dotted path, e.g. jobs.nightly.schedule
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	file := e.File
	if file == "" {
		file = "default configuration"
	}
	b.WriteString(file)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// cronParser accepts 5 fields, or 6 with seconds first, and descriptors
// such as @daily: what the scheduler (gocron with seconds) accepts.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a job's cron expression; one that never fires
// ("0 0 30 2 *") is an error, as the scheduler would refuse it.
func ParseSchedule(expr string) (cron.Schedule, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("empty cron expression")
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, err
	}
	if s.Next(time.Now()).IsZero() {
		return nil, errors.New("it never fires")
	}
	return s, nil
}

// schedule checks a job's cron expression, and that its runs are never
// closer than the minimum (a minute): "@every 0s" or a seconds field
// listing two seconds would back up (or verify) every second.
func (v *validator) schedule(key, expr string) {
	s, err := ParseSchedule(expr)
	if err != nil {
		v.add(key, "bad cron expression %q: %v", expr, err)
		return
	}
	if gap, ok := shortestGap(s); ok && gap < v.c.minInterval {
		v.add(key, "schedule %q runs every %v: the shortest allowed interval is %v", expr, gap, v.c.minInterval)
	}
}

// shortestGap is the shortest time between two runs of s, if it can tell.
// A cron expression runs at most once a minute unless its seconds field
// names more than one second; then runs of one minute can be a second
// apart, and the gap is the smallest between two of its seconds
// (wrapping to the next minute).
func shortestGap(s cron.Schedule) (time.Duration, bool) {
	switch s := s.(type) {
	case cron.ConstantDelaySchedule:
		return s.Delay, true
	case *cron.SpecSchedule:
		var secs []int
		for i := range 60 {
			if s.Second&(1<<uint(i)) != 0 {
				secs = append(secs, i)
			}
		}
		if len(secs) < 2 {
			return time.Minute, true
		}
		gap := 60 - secs[len(secs)-1] + secs[0]
		for i := 1; i < len(secs); i++ {
			gap = min(gap, secs[i]-secs[i-1])
		}
		return time.Duration(gap) * time.Second, true
	}
	return 0, false
}

// validator collects every problem, each with its line.
type validator struct {
	c    *Config
	errs []error
}

func (v *validator) add(key, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.c.File, Line: v.c.Line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Validate checks everything that can be checked without contacting a
// repository: references, cron expressions, durations, paths, and that
// password and credential files can be read.
func (c *Config) Validate() error {
	v := &validator{c: c}
	if c.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			v.add("listen", "want host:port or off: %v", err)
		}
	}
	if cc := c.Console; (cc.TLSCertFile == "") != (cc.TLSKeyFile == "") {
		v.add("console", "TLS needs both tls_cert_file and tls_key_file")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		v.add("log_level", "want debug, info, warn or error, not %q", c.LogLevel)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Repositories)) {
		v.repository("repositories."+name, c.Repositories[name])
	}
	if len(c.Jobs) == 0 {
		v.add("jobs", "no jobs: the daemon would do nothing")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Jobs)) {
		v.job("jobs."+name, c.Jobs[name])
	}
	for i, n := range c.Notify {
		v.notify(fmt.Sprintf("notify.%d", i), n)
	}
	return errors.Join(v.errs...)
}

func (v *validator) repository(key string, r *Repository) {
	if r == nil {
		v.add(key, "empty repository")
		return
	}
	if r.Location.IsZero() {
		v.add(key, "location is missing (a local path or s3:URL)")
	} else if err := location.Check(r.Location); err != nil {
		v.add(key+".location", "%v", err)
	}
	if r.Compression != "" {
		var m compress.Mode
		if err := m.Set(r.Compression); err != nil {
			v.add(key+".compression", "%v", err)
		}
	}
	switch {
	case r.PasswordFile == "":
		v.add(key, "password_file is missing")
	case r.Init:
		// Created with the repository if missing; but not if a directory.
		if fi, err := os.Stat(r.PasswordFile); err == nil && fi.IsDir() {
			v.add(key+".password_file", "%s is a directory", r.PasswordFile)
		}
	default:
		v.readable(key+".password_file", r.PasswordFile, "password file")
	}
	v.remote(key, r)
	if r.S3 != nil {
		if !location.IsS3(r.Location) {
			v.add(key+".s3", "S3 credentials for a repository that is not s3:")
		}
		if r.S3.AccessKeyID != "" && r.S3.AccessKeyIDFile != "" {
			v.add(key+".s3", "give access_key_id or access_key_id_file, not both")
		}
		if r.S3.AccessKeyIDFile != "" {
			v.readable(key+".s3.access_key_id_file", r.S3.AccessKeyIDFile, "access key file")
		}
		if r.S3.SecretAccessKeyFile != "" {
			v.readable(key+".s3.secret_access_key_file", r.S3.SecretAccessKeyFile, "secret key file")
		}
	}
}

// remote checks the options and files of sftp: and rest: repositories.
func (v *validator) remote(key string, r *Repository) {
	if err := location.CheckOptions(r.Location, r.Options); err != nil {
		v.add(key+".options", "%v", err)
	}
	if s := r.SFTP; s != nil {
		if !strings.HasPrefix(r.Location.Reveal(), "sftp:") {
			v.add(key+".sftp", "SFTP settings for a repository that is not sftp:")
		}
		if s.KeyFile != "" {
			v.readable(key+".sftp.key_file", s.KeyFile, "ssh key file")
		}
		if s.KnownHostsFile != "" {
			v.readable(key+".sftp.known_hosts_file", s.KnownHostsFile, "known_hosts file")
		}
	}
	if t := r.REST; t != nil {
		if !strings.HasPrefix(r.Location.Reveal(), "rest:") {
			v.add(key+".rest", "REST settings for a repository that is not rest:")
		}
		for i, f := range t.CACert {
			v.readable(fmt.Sprintf("%s.rest.cacert.%d", key, i), f, "CA certificate file")
		}
		if t.TLSClientCert != "" {
			v.readable(key+".rest.tls_client_cert", t.TLSClientCert, "client certificate file")
		}
	}
}

// readable checks that a secret file exists and can be read.
func (v *validator) readable(key, path, what string) {
	f, err := os.Open(path)
	if err != nil {
		v.add(key, "cannot read %s: %v", what, err)
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		v.add(key, "%s %s is a directory", what, path)
	}
}

func (v *validator) job(key string, j *Job) {
	if j == nil {
		v.add(key, "empty job")
		return
	}
	switch {
	case j.Repository == "":
		v.add(key, "repository is missing")
	case v.c.Repositories[j.Repository] == nil:
		v.add(key+".repository", "no repository named %q (have: %s)", j.Repository, strings.Join(slices.Sorted(maps.Keys(v.c.Repositories)), ", "))
	}
	v.schedule(key+".schedule", j.Schedule)
	switch {
	case len(j.Paths) > 0 && j.Volumes != nil:
		v.add(key, "give paths or volumes, not both (make two jobs)")
	case len(j.Paths) == 0 && j.Volumes == nil:
		v.add(key, "nothing to back up: give paths or volumes")
	}
	for i, p := range j.Paths {
		if !filepath.IsAbs(p) {
			v.add(fmt.Sprintf("%s.paths.%d", key, i), "path %q is not absolute", p)
		}
	}
	if len(j.Exclude) > 0 && j.Volumes != nil {
		v.add(key+".exclude", "exclude applies to paths jobs only")
	}
	if j.SkipIfUnchanged && j.Volumes != nil {
		v.add(key+".skip_if_unchanged", "skip_if_unchanged applies to paths jobs only")
	}
	for i, t := range j.Tags {
		if t == "" || strings.ContainsAny(t, ", ") {
			v.add(fmt.Sprintf("%s.tags.%d", key, i), "bad tag %q (no commas or spaces)", t)
		}
	}
	if j.Retention != nil {
		v.retention(key+".retention", j.Retention)
	}
	for i := range j.Copy {
		v.copy(fmt.Sprintf("%s.copy.%d", key, i), j, i)
	}
	if j.Verify != nil {
		v.verify(key+".verify", j.Verify)
		if j.Verify.Boot && j.Volumes == nil {
			v.add(key+".verify.boot", "a restore drill boots apps: only for a job with volumes")
		}
	}
}

// copy checks the i-th copy destination of job j: another configured
// repository, named once.
func (v *validator) copy(key string, j *Job, i int) {
	c := j.Copy[i]
	if c == nil || c.Repository == "" {
		v.add(key, "copy destination is missing (a repository name, or repository: NAME)")
		return
	}
	dst := v.c.Repositories[c.Repository]
	switch src := v.c.Repositories[j.Repository]; {
	case dst == nil:
		v.add(key, "no repository named %q (have: %s)", c.Repository, strings.Join(slices.Sorted(maps.Keys(v.c.Repositories)), ", "))
	case c.Repository == j.Repository || (src != nil && src.Location.Reveal() == dst.Location.Reveal()):
		v.add(key, "repository %q is the job's own repository: a copy needs another one", c.Repository)
	}
	for _, other := range j.Copy[:i] {
		if other != nil && other.Repository == c.Repository {
			v.add(key, "repository %q is listed twice", c.Repository)
		}
	}
	if c.Schedule != "" {
		v.schedule(key+".schedule", c.Schedule)
	}
	if c.Retention != nil {
		v.retention(key+".retention", c.Retention)
	}
}

func (v *validator) retention(key string, r *Retention) {
	for _, n := range []struct {
		k string
		n int
	}{{"keep_last", r.KeepLast}, {"keep_hourly", r.KeepHourly}, {"keep_daily", r.KeepDaily}, {"keep_weekly", r.KeepWeekly},
		{"keep_monthly", r.KeepMonthly}, {"keep_yearly", r.KeepYearly}} {
		if n.n < 0 {
			v.add(key+"."+n.k, "must not be negative")
		}
	}
	if r.KeepLast+r.KeepHourly+r.KeepDaily+r.KeepWeekly+r.KeepMonthly+r.KeepYearly == 0 && r.KeepWithin == "" && len(r.KeepTag) == 0 {
		v.add(key, "no keep_* rule: this would remove every snapshot")
	}
	if r.KeepWithin != "" {
		if _, err := retention.ParseDuration(r.KeepWithin); err != nil {
			v.add(key+".keep_within", "%v", err)
		}
	}
	if r.MaxUnused != "" {
		if _, err := prune.ParseMaxUnused(r.MaxUnused); err != nil {
			v.add(key+".max_unused", "%v", err)
		}
	}
}

func (v *validator) verify(key string, vf *Verify) {
	v.schedule(key+".schedule", vf.Schedule)
	if vf.ReadDataSubset != "" {
		if _, err := checker.ParseSubset(vf.ReadDataSubset); err != nil {
			v.add(key+".read_data_subset", "%v", err)
		}
	}
	if vf.ReadDataSubset == "" && !vf.RestoreTest && !vf.Boot {
		v.add(key, "nothing to verify: set read_data_subset, restore_test and/or boot")
	}
	if vf.BootTimeout < 0 {
		v.add(key+".boot_timeout", "must not be negative")
	}
}

func (v *validator) notify(key string, n *Notify) {
	if n == nil {
		v.add(key, "empty notification")
		return
	}
	if n.URL.IsZero() == (n.URLFile == "") {
		v.add(key, "give url or url_file")
	}
	if n.URLFile != "" {
		v.readable(key+".url_file", n.URLFile, "URL file")
	}
	if !n.URL.IsZero() {
		if _, err := shoutrrr.CreateSender(n.URL.Reveal()); err != nil {
			// The message may quote the URL, which can hold a token.
			v.add(key+".url", "not a valid notification URL (want a shoutrrr service URL such as generic://host/path or ntfy://host/topic)")
		}
	}
	for i, e := range n.On {
		if e != EventFailure && e != EventSuccess && e != EventWarning {
			v.add(fmt.Sprintf("%s.on.%d", key, i), "unknown event %q (want failure, warning or success)", e)
		}
	}
}
